#pragma once
// The neural renderer as a RenderBackend (animate, pull, export at "neural" quality): each frame is the fast
// renderer's (displacement synthesis, pixel softmax splatting with the scene's weights, push-pull) and the
// network's correction of it, on the compute device, the frame padded to the renderer's factor. Torch-free
// header: the CLI and the UI include it.

#include <string>

#include "ml/prior/PriorConfig.h"
#include "raster/RenderBackend.h"

namespace waft::engine::render {

// Loads and checks the renderer file once; every backend the factory makes shares the model (one backend per
// thread). A bad or mismatched file is one line, and nothing else changes (the fast renderers still work).
Expected<RenderBackendFactory> neuralRenderBackend(const std::string& modelPath, const prior::ComputeOptions& compute);

}  // namespace waft::engine::render
