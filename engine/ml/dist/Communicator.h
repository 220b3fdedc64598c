#pragma once
// Data-parallel training over LibTorch's own distributed engine (c10d): one process per rank, a TCPStore on rank
// 0 for the rendezvous and the heartbeats, a Gloo process group (NCCL for CUDA where LibTorch has it) for the
// collectives. Every method is a collective: every rank calls it, in the same order, from its training thread.
// A peer that dies or stops responding makes every call fail within the timeout with one line naming it.
// Engine-internal (torch); the CLI joins a run through DistributedEnv.h's joinRun.

#include <torch/torch.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "core/Status.h"
#include "ml/dist/DistributedEnv.h"

namespace waft::engine::dist {

class Communicator {
public:
    struct Impl;
    explicit Communicator(std::unique_ptr<Impl> impl);
    ~Communicator();
    Communicator(const Communicator&) = delete;
    Communicator& operator=(const Communicator&) = delete;

    int rank() const;
    int worldSize() const;
    bool isMain() const { return rank() == 0; }

    // Replaces every trainable parameter's gradient by its mean over the ranks, flattened into buckets of at most
    // 25 MiB (one all-reduce each, all in flight together); a parameter without a gradient on this rank counts
    // as zeros. `loss`, when given, is averaged in the same collective (every rank then reports the global loss
    // and stops together on a NaN).
    Status averageGradients(const std::vector<torch::Tensor>& parameters, torch::Tensor* loss = nullptr);
    // Every rank takes rank 0's values (its initial or resumed weights).
    Status broadcastFromMain(const std::vector<torch::Tensor>& tensors);
    // Before each step: all ranks must be at `step` (else an error with the range), and the run stops on every
    // rank together when any rank was cancelled (true). Also this rank's heartbeat, which names a hung rank.
    Expected<bool> agreeOnStep(int step, bool cancelled);
    // Every rank passed the same value (a dataset's size, the step a resume starts from), else an error.
    Status checkSame(int64_t value, const std::string& what);

    // Seconds this rank spent inside averageGradients and agreeOnStep: the collectives' share of a step.
    double communicationSeconds() const;

private:
    Status failed(const std::exception& e, const std::string& during);
    // The element-wise maximum of `values` over the ranks (one small all-reduce).
    Expected<std::vector<double>> maxOverRanks(const std::vector<double>& values, const std::string& during);
    std::unique_ptr<Impl> m;
};

}  // namespace waft::engine::dist
