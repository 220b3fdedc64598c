// joinRun where LibTorch's c10d or Gloo's headers are absent: one process only, and a run says why.
#include "ml/dist/Communicator.h"

namespace waft::engine::dist {

struct Communicator::Impl {};

Communicator::Communicator(std::unique_ptr<Impl> impl) : m(std::move(impl)) {}
Communicator::~Communicator() = default;
int Communicator::rank() const { return 0; }
int Communicator::worldSize() const { return 1; }
double Communicator::communicationSeconds() const { return 0.0; }
Status Communicator::averageGradients(const std::vector<torch::Tensor>&, torch::Tensor*) { return Status::ok(); }
Status Communicator::broadcastFromMain(const std::vector<torch::Tensor>&) { return Status::ok(); }
Expected<bool> Communicator::agreeOnStep(int, bool cancelled) { return cancelled; }
Status Communicator::checkSame(int64_t, const std::string&) { return Status::ok(); }
Expected<std::vector<double>> Communicator::maxOverRanks(const std::vector<double>& values, const std::string&) {
    return values;
}
Status Communicator::failed(const std::exception& e, const std::string&) {
    return Status::error(StatusCode::Internal, e.what());
}

Expected<std::shared_ptr<Communicator>> joinRun(const DistributedEnv&, const prior::ComputeOptions&) {
    return Status::error(StatusCode::Unsupported,
                         "this build has no distributed training (built without Gloo's headers, libgloo-dev)");
}

}  // namespace waft::engine::dist
