#include "ml/dist/DataParallel.h"

#include <algorithm>
#include <cstdio>

namespace waft::engine::dist {

std::mutex& defaultGeneratorMutex() {
    static std::mutex mutex;
    return mutex;
}

int worldSizeOf(const Communicator* communicator) { return communicator ? communicator->worldSize() : 1; }

bool writesFiles(const Communicator* communicator) { return !communicator || communicator->isMain(); }

Status startRun(Communicator* communicator, torch::nn::Module& live, torch::optim::AdamW& optimizer, int firstStep,
                int64_t examples) {
    if (!communicator) return Status::ok();
    WAFT_RETURN_IF_ERROR(communicator->checkSame(firstStep, "the step to start from"));
    WAFT_RETURN_IF_ERROR(communicator->checkSame(examples, "the number of training examples"));
    int64_t adamSteps = 0;
    for (const auto& entry : optimizer.state())
        adamSteps = std::max(adamSteps, static_cast<const torch::optim::AdamWParamState&>(*entry.second).step());
    WAFT_RETURN_IF_ERROR(communicator->checkSame(
        adamSteps, "the optimiser state resumed (is the same .train-state.safetensors beside every rank's model?)"));
    std::vector<torch::Tensor> weights;
    for (const auto& p : live.named_parameters()) weights.push_back(p.value());
    for (const auto& b : live.named_buffers()) weights.push_back(b.value());
    return communicator->broadcastFromMain(weights);
}

Status settleSave(Communicator* communicator, const Status& mine) {
    if (!communicator) return mine;
    const Status agreed = communicator->checkSame(mine.isOk() ? 0 : 1, "whether the checkpoint was written");
    if (!mine) return mine;
    if (agreed.code() == StatusCode::InvalidArgument)
        return Status::io("rank 0 could not write the checkpoint (its message says why)");
    return agreed;
}

Expected<bool> stopBeforeStep(Communicator* communicator, int step, const CancelToken& cancel) {
    if (!communicator) return cancel.isCancelled();
    return communicator->agreeOnStep(step, cancel.isCancelled());
}

std::string communicationSummary(const Communicator* communicator, double loopSeconds) {
    if (!communicator) return {};
    char text[96];
    std::snprintf(text, sizeof text, ", %d ranks, collectives %.0f%% of the time", communicator->worldSize(),
                  loopSeconds > 0.0 ? 100.0 * communicator->communicationSeconds() / loopSeconds : 0.0);
    return text;
}

}  // namespace waft::engine::dist
