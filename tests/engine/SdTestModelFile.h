#pragma once
// Model files with random weights for tests that run the SD jobs and the neural renderer; torch-free to include
// (the UI test uses it too).
#include <cstdint>
#include <string>

namespace waft::test {

// Writes it to `path` (random weights from `seed`; the UNet's last convolution scaled by `unetOutputScale`)
// and returns the path; empty on failure.
std::string writeTinySdModel(const std::string& path, uint64_t seed, float unetOutputScale = 1.0f);

// An untrained tiny neural renderer (which renders exactly what the fast renderer does); false on failure.
bool writeFreshRenderer(const std::string& path);

}  // namespace waft::test
