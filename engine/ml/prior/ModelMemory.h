#pragma once
// The session's loaded models (motion prior and Stable Diffusion), seen from code that must not include torch
// (the UI): how many are held, and freeing them. The models themselves are reached through ModelCache
// (ModelCache.h) and loadSdModel (ml/sd/SdPipeline.h).

#include <cstddef>

namespace waft::engine::prior {

size_t cachedModelCount();
// Drops every cached model; a job still using one keeps it alive until it finishes. Any thread.
void releaseCachedModels();

}  // namespace waft::engine::prior
