#pragma once
// Resolving ComputeOptions to a LibTorch device and autocast type, and the autocast scope the trainers and the
// sampler run their forward passes in. Engine-internal (pulls in torch).

#include <torch/torch.h>

#include "core/Status.h"
#include "ml/prior/PriorConfig.h"

namespace waft::engine::prior {

struct Compute {
    torch::Device device = torch::kCPU;
    c10::optional<at::ScalarType> autocast;  // none: fp32
};

// Fails with one line for CUDA without a CUDA device and for fp16 where it cannot work (on the CPU; in training,
// which would need loss scaling: bf16 does not).
Expected<Compute> resolveCompute(const ComputeOptions& options, bool training);

// Autocast to compute.autocast on compute.device for the scope's lifetime (nothing when fp32); restores the
// previous state and clears the cast cache on exit, like torch.autocast.
class AutocastScope {
public:
    explicit AutocastScope(const Compute& compute);
    ~AutocastScope();
    AutocastScope(const AutocastScope&) = delete;
    AutocastScope& operator=(const AutocastScope&) = delete;

private:
    bool m_active = false, m_cuda = false, m_wasEnabled = false;
    at::ScalarType m_previousType = at::kFloat;
};

}  // namespace waft::engine::prior
