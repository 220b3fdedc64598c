#include "ml/common/Checkpoint.h"

#include <ATen/autocast_mode.h>

namespace waft::engine::ml {

namespace {

struct AutocastState {
    bool cpu = false, gpu = false;
    at::ScalarType cpuType = at::kBFloat16, gpuType = at::kHalf;
    static AutocastState current() {
        return {at::autocast::is_cpu_enabled(), at::autocast::is_enabled(), at::autocast::get_autocast_cpu_dtype(),
                at::autocast::get_autocast_gpu_dtype()};
    }
    void apply() const {
        at::autocast::set_cpu_enabled(cpu);
        at::autocast::set_enabled(gpu);
        at::autocast::set_autocast_cpu_dtype(cpuType);
        at::autocast::set_autocast_gpu_dtype(gpuType);
    }
};

// What the backward needs besides the saved inputs: the function and the autocast state of the forward.
struct Recompute : torch::CustomClassHolder {
    CheckpointFn fn;
    AutocastState autocast;
    size_t inputs = 0;
};

struct Checkpoint : torch::autograd::Function<Checkpoint> {
    // inputs = the caller's tensors, then a scalar that always requires grad (so the backward runs even when every
    // input is frozen and only fn's parameters train).
    // A TensorList, not a variable_list: apply() counts a TensorList's elements as inputs (a vector would be one
    // opaque argument and nothing would get gradients).
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, at::TensorList inputs,
                                 c10::intrusive_ptr<Recompute> recompute) {
        recompute->inputs = inputs.size() - 1;
        std::vector<torch::Tensor> caller(inputs.begin(), inputs.end() - 1);
        ctx->save_for_backward(caller);
        ctx->saved_data["recompute"] = c10::IValue::make_capsule(recompute);
        // Autocast caches the half-precision copy of each weight it casts; one made here, without grad, would be
        // what the recompute finds, and that weight would get no gradient: no caching in this pass.
        const bool caching = at::autocast::is_autocast_cache_enabled();
        at::autocast::set_autocast_cache_enabled(false);
        torch::Tensor y;
        try {
            torch::NoGradGuard noGrad;
            y = recompute->fn(caller);
        } catch (...) {
            at::autocast::set_autocast_cache_enabled(caching);
            throw;
        }
        at::autocast::set_autocast_cache_enabled(caching);
        return y;
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto recompute = ctx->saved_data["recompute"].toCapsule();
        auto& r = static_cast<Recompute&>(*recompute);
        std::vector<torch::Tensor> inputs;
        for (const torch::Tensor& saved : ctx->get_saved_variables()) {
            if (!saved.defined() || !saved.is_floating_point()) {
                inputs.push_back(saved);
                continue;
            }
            inputs.push_back(saved.detach().requires_grad_(true));
        }
        const AutocastState outer = AutocastState::current();
        {
            torch::AutoGradMode enable(true);
            r.autocast.apply();
            at::autocast::increment_nesting();
            torch::Tensor y;
            try {
                y = r.fn(inputs);
            } catch (...) {
                at::autocast::decrement_nesting();
                outer.apply();
                throw;
            }
            if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
            outer.apply();
            // Accumulates into fn's parameters' .grad as the first backward would have, and into the inputs'.
            torch::autograd::backward({y}, {grads[0]});
        }
        torch::autograd::variable_list out;
        for (const torch::Tensor& x : inputs)
            out.push_back(x.defined() && x.requires_grad() ? x.grad() : torch::Tensor());
        out.push_back(torch::Tensor());  // the always-on scalar
        out.push_back(torch::Tensor());  // the recompute holder
        return out;
    }
};

}  // namespace

torch::Tensor checkpointed(CheckpointFn fn, const std::vector<torch::Tensor>& inputs) {
    if (!torch::GradMode::is_enabled()) return fn(inputs);
    auto recompute = c10::make_intrusive<Recompute>();
    recompute->fn = std::move(fn);
    recompute->autocast = AutocastState::current();
    torch::autograd::variable_list all(inputs.begin(), inputs.end());
    all.push_back(torch::zeros({}, torch::TensorOptions().requires_grad(true)));
    return Checkpoint::apply(at::TensorList(all), recompute);
}

}  // namespace waft::engine::ml
