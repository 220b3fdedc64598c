// CUDA kernels of the softmax splatting pipeline; see CudaSplat.h. Each mirrors the CPU reference's
// arithmetic (engine/SoftmaxSplatter.cpp, engine/HoleFill.cpp) so parity is limited by summation order.
#include <cuda_runtime.h>

#include <vector>

#include "raster/cuda/CudaSplat.h"

namespace waft::engine::cuda {

namespace {

constexpr int kBlock = 256;
constexpr int kMaxChannels = 16;

int blocks(long items) { return int((items + kBlock - 1) / kBlock); }

std::string check(cudaError_t error, const char* what) {
    if (error == cudaSuccess) return {};
    return std::string("CUDA: ") + what + " failed: " + cudaGetErrorString(error);
}

__global__ void synthesizeKernel(const float* __restrict__ c, const float* __restrict__ q, int bands, int n,
                                 float* __restrict__ dx, float* __restrict__ dy) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float ax = 0.0f, ay = 0.0f;
    for (int j = 0; j < bands; ++j) {
        const float qr = q[2 * j], qi = q[2 * j + 1];
        const long base = long(j) * 4 * n + i;
        ax += c[base] * qr - c[base + n] * qi;
        ay += c[base + 2L * n] * qr - c[base + 3L * n] * qi;
    }
    dx[i] = ax;
    dy[i] = ay;
}

// accum: [H][W][C + 1] (colour sums, weight sum).
__global__ void splatKernel(const float* __restrict__ image, const float* __restrict__ dxs,
                            const float* __restrict__ dys, const float* __restrict__ weights, int width, int height,
                            int channels, float* accum) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= width * height) return;
    const int x = i % width, y = i / width;
    const float tx = float(x) + dxs[i];
    const float ty = float(y) + dys[i];
    if (!(tx > -1.0f && tx < float(width) && ty > -1.0f && ty < float(height))) return;
    const float fx0 = floorf(tx), fy0 = floorf(ty);
    const int x0 = int(fx0), y0 = int(fy0);
    const float ax = tx - fx0, ay = ty - fy0;
    const float w = weights ? weights[i] : 1.0f;
    const float taps[4] = {(1 - ax) * (1 - ay), ax * (1 - ay), (1 - ax) * ay, ax * ay};
    const float* pixel = image + long(i) * channels;
    for (int t = 0; t < 4; ++t) {
        const int qx = x0 + (t & 1), qy = y0 + (t >> 1);
        if (!(taps[t] > 0.0f) || qx < 0 || qx >= width || qy < 0 || qy >= height) continue;
        float* dst = accum + (long(qy) * width + qx) * (channels + 1);
        const float tw = taps[t] * w;
        for (int c = 0; c < channels; ++c) atomicAdd(dst + c, tw * pixel[c]);
        atomicAdd(dst + channels, tw);
    }
}

// Level 0 of the pyramid: [H][W][C + 1] (colour, valid flag).
__global__ void resolveKernel(const float* __restrict__ accum, int n, int channels, float* __restrict__ level) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const float* a = accum + long(i) * (channels + 1);
    float* dst = level + long(i) * (channels + 1);
    const float weight = a[channels];
    if (weight > 0.0f) {
        const float inv = 1.0f / weight;
        for (int c = 0; c < channels; ++c) dst[c] = a[c] * inv;
        dst[channels] = 1.0f;
    } else {
        for (int c = 0; c <= channels; ++c) dst[c] = 0.0f;
    }
}

__global__ void pushKernel(const float* __restrict__ fine, int fw, int fh, float* __restrict__ coarse, int cw, int ch,
                           int channels) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= cw * ch) return;
    const int x = i % cw, y = i / cw, stride = channels + 1;
    float sum[kMaxChannels];
    for (int c = 0; c < channels; ++c) sum[c] = 0.0f;
    int count = 0;
    for (int dy = 0; dy < 2; ++dy) {
        const int fy = 2 * y + dy;
        if (fy >= fh) continue;
        for (int dx = 0; dx < 2; ++dx) {
            const int fx = 2 * x + dx;
            if (fx >= fw) continue;
            const float* child = fine + (long(fy) * fw + fx) * stride;
            if (child[channels] == 0.0f) continue;
            for (int c = 0; c < channels; ++c) sum[c] += child[c];
            ++count;
        }
    }
    float* dst = coarse + long(i) * stride;
    for (int c = 0; c < channels; ++c) dst[c] = count ? sum[c] / float(count) : 0.0f;
    dst[channels] = count ? 1.0f : 0.0f;
}

__global__ void pullKernel(float* __restrict__ fine, int fw, int fh, const float* __restrict__ coarse, int cw, int ch,
                           int channels) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= fw * fh) return;
    const int stride = channels + 1;
    float* dst = fine + long(i) * stride;
    if (dst[channels] != 0.0f) return;
    const int x = i % fw, y = i / fw;
    const float cy = fminf(fmaxf((float(y) + 0.5f) * 0.5f - 0.5f, 0.0f), float(ch - 1));
    const float cx = fminf(fmaxf((float(x) + 0.5f) * 0.5f - 0.5f, 0.0f), float(cw - 1));
    const int y0 = int(cy), x0 = int(cx);
    const int y1 = min(y0 + 1, ch - 1), x1 = min(x0 + 1, cw - 1);
    const float wy = cy - float(y0), wx = cx - float(x0);
    const float* r0 = coarse + long(y0) * cw * stride;
    const float* r1 = coarse + long(y1) * cw * stride;
    for (int c = 0; c < channels; ++c) {
        const float top = r0[x0 * stride + c] * (1 - wx) + r0[x1 * stride + c] * wx;
        const float bottom = r1[x0 * stride + c] * (1 - wx) + r1[x1 * stride + c] * wx;
        dst[c] = top * (1 - wy) + bottom * wy;
    }
}

__global__ void stripKernel(const float* __restrict__ level, int n, int channels, float* __restrict__ out) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    for (int c = 0; c < channels; ++c) out[long(i) * channels + c] = level[long(i) * (channels + 1) + c];
}

// Device scratch owned for one call: released on every path.
struct DeviceBuffer {
    float* ptr = nullptr;
    ~DeviceBuffer() {
        if (ptr) cudaFree(ptr);
    }
};

}  // namespace

int deviceCount() {
    int count = 0;
    return cudaGetDeviceCount(&count) == cudaSuccess ? count : 0;
}

std::string synthesizeDisplacement(const float* coefficients, const float* q, int bands, int width, int height,
                                   float* dx, float* dy) {
    const int n = width * height;
    synthesizeKernel<<<blocks(n), kBlock>>>(coefficients, q, bands, n, dx, dy);
    if (std::string e = check(cudaGetLastError(), "synthesis launch"); !e.empty()) return e;
    return check(cudaDeviceSynchronize(), "synthesis");
}

std::string softmaxSplat(const CudaSplatArgs& a) {
    if (!a.image || !a.dx || !a.dy || !a.out || a.width <= 0 || a.height <= 0 || a.channels < 1 ||
        a.channels > kMaxChannels)
        return "CUDA splat: bad arguments";
    const long n = long(a.width) * a.height;
    const int stride = a.channels + 1;
    // Pyramid levels down to 1x1, all in one allocation after the accumulator.
    std::vector<long> offsets;
    std::vector<int> widths, heights;
    long total = 0;
    for (int w = a.width, h = a.height;;) {
        offsets.push_back(total);
        widths.push_back(w);
        heights.push_back(h);
        total += long(w) * h * stride;
        if (w == 1 && h == 1) break;
        w = (w + 1) / 2;
        h = (h + 1) / 2;
    }
    DeviceBuffer accum, pyramid;
    if (std::string e = check(cudaMalloc(&accum.ptr, size_t(n) * stride * sizeof(float)), "cudaMalloc"); !e.empty())
        return e;
    if (std::string e = check(cudaMalloc(&pyramid.ptr, size_t(total) * sizeof(float)), "cudaMalloc"); !e.empty())
        return e;
    if (std::string e = check(cudaMemset(accum.ptr, 0, size_t(n) * stride * sizeof(float)), "cudaMemset"); !e.empty())
        return e;
    splatKernel<<<blocks(n), kBlock>>>(a.image, a.dx, a.dy, a.weights, a.width, a.height, a.channels, accum.ptr);
    resolveKernel<<<blocks(n), kBlock>>>(accum.ptr, int(n), a.channels, pyramid.ptr);
    if (a.fillHoles) {
        for (size_t l = 1; l < offsets.size(); ++l)
            pushKernel<<<blocks(long(widths[l]) * heights[l]), kBlock>>>(pyramid.ptr + offsets[l - 1], widths[l - 1],
                                                                         heights[l - 1], pyramid.ptr + offsets[l],
                                                                         widths[l], heights[l], a.channels);
        for (size_t l = offsets.size() - 1; l-- > 0;)
            pullKernel<<<blocks(long(widths[l]) * heights[l]), kBlock>>>(pyramid.ptr + offsets[l], widths[l],
                                                                         heights[l], pyramid.ptr + offsets[l + 1],
                                                                         widths[l + 1], heights[l + 1], a.channels);
    }
    stripKernel<<<blocks(n), kBlock>>>(pyramid.ptr, int(n), a.channels, a.out);
    if (std::string e = check(cudaGetLastError(), "splat launch"); !e.empty()) return e;
    return check(cudaDeviceSynchronize(), "splat");
}

}  // namespace waft::engine::cuda
