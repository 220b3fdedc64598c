#include "ml/prior/Compute.h"

#include <ATen/autocast_mode.h>

namespace waft::engine::prior {

Expected<Compute> resolveCompute(const ComputeOptions& options, bool training) {
    const bool haveCuda = torch::cuda::is_available();
    if (options.device == ComputeDevice::Cuda && !haveCuda)
        return Status::invalid("device cuda: this LibTorch has no CUDA device (use --device cpu or auto)");
    Compute c;
    const bool cuda = options.device == ComputeDevice::Cuda || (options.device == ComputeDevice::Auto && haveCuda);
    if (cuda) c.device = torch::Device(torch::kCUDA, 0);
    switch (options.precision) {
        case Precision::Auto:
            if (cuda) c.autocast = at::kBFloat16;
            break;
        case Precision::Fp32: break;
        case Precision::Bf16: c.autocast = at::kBFloat16; break;
        case Precision::Fp16:
            if (!cuda) return Status::invalid("precision fp16 needs CUDA (the CPU autocasts to bf16 only)");
            if (training)
                return Status::invalid("precision fp16 is for sampling; train in bf16 (fp16 would need loss scaling)");
            c.autocast = at::kHalf;
            break;
    }
    return c;
}

AutocastScope::AutocastScope(const Compute& compute) {
    if (!compute.autocast) return;
    m_active = true;
    m_cuda = compute.device.is_cuda();
    if (m_cuda) {
        m_wasEnabled = at::autocast::is_enabled();
        m_previousType = at::autocast::get_autocast_gpu_dtype();
        at::autocast::set_autocast_gpu_dtype(*compute.autocast);
        at::autocast::set_enabled(true);
    } else {
        m_wasEnabled = at::autocast::is_cpu_enabled();
        m_previousType = at::autocast::get_autocast_cpu_dtype();
        at::autocast::set_autocast_cpu_dtype(*compute.autocast);
        at::autocast::set_cpu_enabled(true);
    }
    at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
    if (!m_active) return;
    if (m_cuda) {
        at::autocast::set_enabled(m_wasEnabled);
        at::autocast::set_autocast_gpu_dtype(m_previousType);
    } else {
        at::autocast::set_cpu_enabled(m_wasEnabled);
        at::autocast::set_autocast_cpu_dtype(m_previousType);
    }
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
}

}  // namespace waft::engine::prior
