#pragma once
// A tiny SD single-file checkpoint with random weights (tinySdConfig's sizes) for tests that run the SD jobs;
// torch-free to include (the UI test uses it too).
#include <cstdint>
#include <string>

namespace waft::test {

// Writes it to `path` (random weights from `seed`; the UNet's last convolution scaled by `unetOutputScale`)
// and returns the path; empty on failure.
std::string writeTinySdModel(const std::string& path, uint64_t seed, float unetOutputScale = 1.0f);

}  // namespace waft::test
