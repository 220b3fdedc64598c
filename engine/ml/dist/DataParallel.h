#pragma once
// The data-parallel side of a training job's loop, shared by every trainer (VAE, denoiser, renderer). Each
// function takes the job's communicator, null for a run in one process, where it does what that run did before.
// Engine-internal (torch).

#include <torch/torch.h>

#include <mutex>
#include <string>
#include <vector>

#include "core/Job.h"
#include "ml/dist/Communicator.h"

namespace waft::engine::dist {

int worldSizeOf(const Communicator* communicator);
// Rank 0 alone writes checkpoints, the training state and the final model.
bool writesFiles(const Communicator* communicator);

// A model built from torch's default generator seeded with `seed`. Ranks that share a process (tests run them as
// threads) would interleave their draws from that one generator; they build one at a time here.
std::mutex& defaultGeneratorMutex();
template <typename Make>
auto seededModel(uint64_t seed, Make make) {
    std::lock_guard<std::mutex> lock(defaultGeneratorMutex());
    torch::manual_seed(seed);
    return make();
}

// After the weights are built or resumed: every rank at the same step, over a dataset of the same size, with the
// same AdamW state (a rank that found no training state beside the model would drift apart), and with rank 0's
// weights (a fresh run's initialisation too).
Status startRun(Communicator* communicator, torch::nn::Module& live, torch::optim::AdamW& optimizer, int firstStep,
                int64_t examples);

// After rank 0 wrote (or failed to write) a checkpoint: every rank learns the outcome, so a failed save ends the
// run everywhere with the reason on rank 0, instead of the others reporting rank 0 as gone.
Status settleSave(Communicator* communicator, const Status& mine);
// A checkpoint: write() on rank 0 (or in one process), its outcome settled on every rank.
template <typename Write>
Status saveOnMain(Communicator* communicator, Write&& write) {
    return settleSave(communicator, writesFiles(communicator) ? write() : Status::ok());
}

// Before each step: true when the run is to stop as cancelled (on every rank at the same step).
Expected<bool> stopBeforeStep(Communicator* communicator, int step, const CancelToken& cancel);

// This rank's share of a global batch drawn whole on every rank: rows [rank * n, (rank + 1) * n) of N x n.
template <typename T>
std::vector<T> rankShare(const Communicator* communicator, const std::vector<T>& global) {
    if (!communicator) return global;
    const size_t n = global.size() / size_t(communicator->worldSize());
    const auto first = global.begin() + long(size_t(communicator->rank()) * n);
    return std::vector<T>(first, first + long(n));
}

// ", 2 ranks, collectives 14% of the time" for a summary line; empty in one process.
std::string communicationSummary(const Communicator* communicator, double loopSeconds);

}  // namespace waft::engine::dist
