#pragma once
// Gradient checkpointing (what torch.utils.checkpoint does in its reentrant form): the forward runs without
// keeping its activations, and the backward runs it again, with the autocast state the forward saw, to get them.
// Trades one more forward per block for the block's activation memory. The function must be deterministic (SD's
// blocks have no dropout). Engine-internal (pulls in torch).

#include <torch/torch.h>

#include <functional>
#include <vector>

namespace waft::engine::ml {

using CheckpointFn = std::function<torch::Tensor(const std::vector<torch::Tensor>&)>;

// fn(inputs), with fn's activations recomputed in the backward. Every tensor fn reads that carries gradients
// must come through `inputs` (undefined ones are allowed); gradients then reach the inputs and every parameter
// fn uses, frozen inputs or not. Plain fn(inputs) when gradients are off (sampling).
torch::Tensor checkpointed(CheckpointFn fn, const std::vector<torch::Tensor>& inputs);

}  // namespace waft::engine::ml
