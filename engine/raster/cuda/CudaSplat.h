#pragma once

#include <cstddef>
#include <string>

namespace waft::engine::cuda {

// Softmax splatting on CUDA device memory, the same algorithm as the CPU reference (SoftmaxSplatter +
// HoleFill), kernel by kernel: bilinear taps times W = exp(Z - 20) accumulated with float atomics,
// normalised, push-pull hole filling. Plain cudart (no LibTorch CUDA needed); pointers may be a CUDA
// tensor's data_ptr(). All pointers are device pointers; image/out are [H][W][C] float, 1 <= C <= 16.
// Runs on the default stream and synchronises; returns an empty string or a one-line error.
struct CudaSplatArgs {
    const float* image = nullptr;
    const float* dx = nullptr;
    const float* dy = nullptr;
    const float* weights = nullptr;  // may be null: uniform weights
    float* out = nullptr;
    int width = 0;
    int height = 0;
    int channels = 3;
    bool fillHoles = true;
};
std::string softmaxSplat(const CudaSplatArgs& args);

// Displacement synthesis on the device: dx, dy = Re sum_j S_j q_j for coefficients [K][4][H][W] and q as
// K interleaved (re, im) floats, both device pointers.
std::string synthesizeDisplacement(const float* coefficients, const float* q, int bands, int width, int height,
                                   float* dx, float* dy);

// Number of CUDA devices (0 when there is no driver or device).
int deviceCount();

}  // namespace waft::engine::cuda
