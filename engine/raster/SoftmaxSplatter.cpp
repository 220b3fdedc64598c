#include "raster/SoftmaxSplatter.h"

#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "raster/HoleFill.h"

namespace waft::engine {

std::vector<float> SoftmaxSplatter::splatWeights(const std::vector<float>& meanMagnitude) {
    std::vector<float> weights(meanMagnitude.size(), 1.0f);
    if (meanMagnitude.empty()) return weights;
    std::vector<float> sorted;
    sorted.reserve(meanMagnitude.size());
    for (float m : meanMagnitude)
        if (std::isfinite(m)) sorted.push_back(m);
    if (sorted.empty()) return weights;
    const size_t k = std::min(sorted.size() - 1, size_t(0.99 * double(sorted.size())));
    std::nth_element(sorted.begin(), sorted.begin() + long(k), sorted.end());
    const float reference = std::max(sorted[k], 1e-3f);  // pixels; avoids amplifying noise in a still scene
    for (size_t i = 0; i < weights.size(); ++i) {
        const float m = std::isfinite(meanMagnitude[i]) ? std::max(meanMagnitude[i], 0.0f) : 0.0f;
        const float z = kZScale * std::min(m / reference, kZClip);
        weights[i] = std::exp(z - kMaxZ);
    }
    return weights;
}

namespace {

// Adds tap * (c0, c1, c2, 1) * w to a 4-float accumulator cell: the 3-channel case is one SSE vector.
inline void addTap3(float* dst, __m128 premultiplied, float tap) {
    _mm_storeu_ps(dst, _mm_add_ps(_mm_loadu_ps(dst), _mm_mul_ps(premultiplied, _mm_set1_ps(tap))));
}

}  // namespace

template <int kChannels>
void SoftmaxSplatter::accumulate(const cv::Mat& image, const DisplacementField& field, const float* weights,
                                 int runtimeChannels, int reach) {
    const int channels = kChannels > 0 ? kChannels : runtimeChannels;
    const int stride = channels + 1;
    const int width = image.cols;
    const int height = image.rows;
    const long stripeCount = long(m_stripes.size());
#pragma omp parallel for schedule(static, 1)
    for (long s = 0; s < stripeCount; ++s) {
        Stripe& stripe = m_stripes[size_t(s)];
        stripe.targetBegin = std::max(0, stripe.sourceBegin - reach);
        stripe.targetEnd = std::min(height, stripe.sourceEnd + reach);
        const size_t accumSize = size_t(stripe.targetEnd - stripe.targetBegin) * size_t(width) * size_t(stride);
        if (stripe.accum.size() < accumSize) stripe.accum.resize(accumSize);
        std::memset(stripe.accum.data(), 0, accumSize * sizeof(float));
        float* accum = stripe.accum.data();
        const int rowBegin = stripe.targetBegin;
        const int rowEnd = stripe.targetEnd;
        for (int y = stripe.sourceBegin; y < stripe.sourceEnd; ++y) {
            const float* src = image.ptr<float>(y);
            const float* rowDx = field.dx.data() + size_t(y) * width;
            const float* rowDy = field.dy.data() + size_t(y) * width;
            const float* rowW = weights ? weights + size_t(y) * width : nullptr;
            for (int x = 0; x < width; ++x) {
                const float tx = float(x) + rowDx[x];
                const float ty = float(y) + rowDy[x];
                if (!(tx > -1.0f && tx < float(width) && ty > -1.0f && ty < float(height))) continue;  // NaN too
                const float fx0 = std::floor(tx);
                const float fy0 = std::floor(ty);
                const int x0 = int(fx0);
                const int y0 = int(fy0);
                const float ax = tx - fx0;
                const float ay = ty - fy0;
                const float w = rowW ? rowW[x] : 1.0f;
                const float taps[4] = {(1 - ax) * (1 - ay), ax * (1 - ay), (1 - ax) * ay, ax * ay};
                const float* pixel = src + size_t(x) * channels;
                float* cell = accum + (size_t(y0 - rowBegin) * width + size_t(x0)) * stride;
                if constexpr (kChannels == 3) {
                    const __m128 premultiplied =
                        _mm_mul_ps(_mm_setr_ps(pixel[0], pixel[1], pixel[2], 1.0f), _mm_set1_ps(w));
                    if (x0 >= 0 && x0 + 1 < width && y0 >= rowBegin && y0 + 1 < rowEnd) {
                        // Interior: all four taps land inside; zero-weight taps add exact zeros.
                        addTap3(cell, premultiplied, taps[0]);
                        addTap3(cell + stride, premultiplied, taps[1]);
                        addTap3(cell + size_t(width) * stride, premultiplied, taps[2]);
                        addTap3(cell + size_t(width) * stride + stride, premultiplied, taps[3]);
                        continue;
                    }
                }
                for (int t = 0; t < 4; ++t) {
                    const int qx = x0 + (t & 1);
                    const int qy = y0 + (t >> 1);
                    if (taps[t] <= 0.0f || qx < 0 || qx >= width || qy < rowBegin || qy >= rowEnd) continue;
                    float* dst = accum + (size_t(qy - rowBegin) * width + size_t(qx)) * stride;
                    const float tw = taps[t] * w;
                    for (int c = 0; c < channels; ++c) dst[c] += tw * pixel[c];
                    dst[channels] += tw;
                }
            }
        }
    }
}

void SoftmaxSplatter::resolve(int width, int height, int channels, cv::Mat& out) {
    const int stride = channels + 1;
    const size_t rowFloats = size_t(width) * size_t(stride);
    out.create(height, width, CV_MAKETYPE(CV_32F, channels));
    m_holes.assign(size_t(width) * size_t(height), 0);
    size_t holeCount = 0;
#pragma omp parallel reduction(+ : holeCount)
    {
        std::vector<float> sum(rowFloats);
        std::vector<const float*> sources;
#pragma omp for schedule(static)
        for (int y = 0; y < height; ++y) {
            // The stripes that reach this row, in stripe order, so sums are deterministic.
            sources.clear();
            for (const Stripe& stripe : m_stripes)
                if (y >= stripe.targetBegin && y < stripe.targetEnd)
                    sources.push_back(stripe.accum.data() + size_t(y - stripe.targetBegin) * rowFloats);
            const float* row = sources.empty() ? nullptr : sources[0];
            if (sources.size() > 1) {
                std::memcpy(sum.data(), sources[0], rowFloats * sizeof(float));
                for (size_t s = 1; s < sources.size(); ++s)
                    for (size_t i = 0; i < rowFloats; ++i) sum[i] += sources[s][i];
                row = sum.data();
            }
            float* dst = out.ptr<float>(y);
            for (int x = 0; x < width; ++x) {
                const float weight = row ? row[size_t(x) * stride + channels] : 0.0f;
                if (weight > 0.0f) {
                    const float inv = 1.0f / weight;
                    for (int c = 0; c < channels; ++c) dst[x * channels + c] = row[size_t(x) * stride + c] * inv;
                } else {
                    for (int c = 0; c < channels; ++c) dst[x * channels + c] = 0.0f;
                    m_holes[size_t(y) * width + x] = 1;
                    ++holeCount;
                }
            }
        }
    }
    m_lastHoleCount = holeCount;
}

Status SoftmaxSplatter::splat(const cv::Mat& image, const DisplacementField& field, const std::vector<float>& weights,
                              cv::Mat& out) {
    if (image.empty() || image.depth() != CV_32F || image.channels() > 16)
        return Status::invalid("splat input must be a float image with 1..16 channels");
    if (field.width != image.cols || field.height != image.rows || field.dx.size() != field.size() ||
        field.dy.size() != field.size())
        return Status::invalid("splat displacement field does not match the image size");
    if (!weights.empty() && weights.size() != field.size())
        return Status::invalid("splat weight map does not match the image size");
    const cv::Mat source = image.isContinuous() ? image : image.clone();

    // How far (in rows) any pixel travels decides how far each stripe's buffer must reach.
    float maxDy = 0.0f;
    for (float d : field.dy)
        if (std::isfinite(d)) maxDy = std::max(maxDy, std::abs(d));
    const int height = source.rows;
    const int reach = int(std::min(float(height), std::ceil(maxDy))) + 1;

    const int stripeCount = std::max(1, std::min(omp_get_max_threads(), height));
    m_stripes.resize(size_t(stripeCount));
    for (int s = 0; s < stripeCount; ++s) {
        m_stripes[size_t(s)].sourceBegin = int(int64_t(height) * s / stripeCount);
        m_stripes[size_t(s)].sourceEnd = int(int64_t(height) * (s + 1) / stripeCount);
    }
    const float* w = weights.empty() ? nullptr : weights.data();
    const int channels = source.channels();
    switch (channels) {
        case 1: accumulate<1>(source, field, w, channels, reach); break;
        case 3: accumulate<3>(source, field, w, channels, reach); break;
        case 4: accumulate<4>(source, field, w, channels, reach); break;
        default: accumulate<0>(source, field, w, channels, reach); break;
    }
    resolve(source.cols, height, channels, out);
    if (m_fillHoles && m_lastHoleCount > 0) fillHolesPushPull(out, m_holes);
    return Status::ok();
}

}  // namespace waft::engine
