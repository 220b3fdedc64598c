#include "dynamics/MotionBrush.h"

#include <cmath>
#include <opencv2/imgproc.hpp>
#include <opencv2/ximgproc/edge_filter.hpp>
#include <random>

namespace waft::engine {

namespace {

// Smooth noise in [-1, 1]: random values on a coarse grid, bicubically upsampled.
cv::Mat smoothNoise(cv::Size size, float cellPx, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    cv::Mat coarse(int(size.height / cellPx) + 3, int(size.width / cellPx) + 3, CV_32F);
    for (int i = 0; i < int(coarse.total()); ++i) coarse.at<float>(i) = u(rng);
    cv::Mat fine;
    cv::resize(coarse, fine, cv::Size(int(coarse.cols * cellPx), int(coarse.rows * cellPx)), 0, 0, cv::INTER_CUBIC);
    return fine(cv::Rect(int(cellPx), int(cellPx), size.width, size.height)).clone();
}

}  // namespace

Expected<SpectralVolume> motionFromBrush(const cv::Mat& image, const std::vector<MotionArrow>& arrows,
                                         const std::vector<MotionAnchor>& anchors, const cv::Mat& freezeMask,
                                         const MotionBrushParams& params) {
    if (image.empty() || image.type() != CV_8UC3) return Status::invalid("motion brush needs an 8-bit colour image");
    if (image.cols > kMaxImageSide || image.rows > kMaxImageSide) return Status::invalid("image too large");
    if (arrows.empty()) return Status::invalid("paint at least one motion arrow");
    if (!freezeMask.empty() && (freezeMask.size() != image.size() || freezeMask.type() != CV_8UC1))
        return Status::invalid("freeze mask must be one 8-bit channel of the image's size");
    if (!(params.loopSec > 0.0f && params.loopSec <= 600.0f) || params.bands < 1 || params.bands > kMaxBands)
        return Status::invalid("loop length must be in (0, 600] s and bands in 1..256");
    const int w = image.cols, h = image.rows;
    const float radius = params.radiusPx > 0 ? params.radiusPx : 0.15f * float(std::min(w, h));
    const float anchorRadius = params.anchorRadiusPx > 0 ? params.anchorRadiusPx : 0.5f * radius;
    const float waveLength = params.waveLengthPx > 0 ? params.waveLengthPx : 2.0f * radius;
    for (const MotionArrow& a : arrows)
        if (!std::isfinite(a.x) || !std::isfinite(a.y) || !std::isfinite(a.dx) || !std::isfinite(a.dy) ||
            std::hypot(a.dx, a.dy) > float(std::max(w, h)))
            return Status::invalid("a motion arrow is not finite or longer than the image");

    // 1. Amplitude: sum of Gaussian-weighted arrows, normalised where they overlap (max(1, total weight)).
    cv::Mat ax(h, w, CV_32F, 0.0f), ay(h, w, CV_32F, 0.0f), weight(h, w, CV_32F, 0.0f);
    const float inv2s2 = 1.0f / (2.0f * radius * radius);
    for (int y = 0; y < h; ++y) {
        float* px = ax.ptr<float>(y);
        float* py = ay.ptr<float>(y);
        float* pw = weight.ptr<float>(y);
        for (int x = 0; x < w; ++x) {
            for (const MotionArrow& a : arrows) {
                const float d2 = (float(x) - a.x) * (float(x) - a.x) + (float(y) - a.y) * (float(y) - a.y);
                const float g = std::exp(-d2 * inv2s2);
                px[x] += g * a.dx;
                py[x] += g * a.dy;
                pw[x] += g;
            }
        }
    }
    cv::Mat norm = cv::max(weight, 1.0f);
    ax /= norm;
    ay /= norm;

    // 2. Follow the photo's edges: guided filter with the photo as guide.
    const int guidedRadius = std::max(2, int(radius / 6.0f));
    cv::ximgproc::guidedFilter(image, ax, ax, guidedRadius, 1e-3 * 255.0 * 255.0);
    cv::ximgproc::guidedFilter(image, ay, ay, guidedRadius, 1e-3 * 255.0 * 255.0);

    // 3. Anchors and the freeze mask: exact zeros there.
    cv::Mat keep(h, w, CV_32F, 1.0f);
    for (const MotionAnchor& anchor : anchors) {
        const float r = anchor.radiusPx > 0 ? anchor.radiusPx : anchorRadius;
        const float inv = 1.0f / (2.0f * r * r);
        for (int y = 0; y < h; ++y) {
            float* k = keep.ptr<float>(y);
            for (int x = 0; x < w; ++x) {
                const float d2 =
                    (float(x) - anchor.x) * (float(x) - anchor.x) + (float(y) - anchor.y) * (float(y) - anchor.y);
                k[x] *= 1.0f - std::exp(-d2 * inv);
            }
        }
    }
    if (!freezeMask.empty()) {
        cv::Mat outside = freezeMask == 0, distance;
        cv::distanceTransform(outside, distance, cv::DIST_L2, 3);
        cv::Mat feather = cv::min(distance / std::max(params.featherPx, 1e-3f), 1.0f);
        keep = keep.mul(feather);  // distance 0 inside the mask: exactly frozen
    }
    ax = ax.mul(keep);
    ay = ay.mul(keep);

    // 4. Bands: harmonics of 1/L, weights 1/k^1.5, phase = wave along the amplitude direction + smooth noise.
    SpectralVolume volume = SpectralVolume::zeros(w, h, params.bands);
    volume.reference = image.clone();
    volume.sourceDurationSec = params.loopSec;
    volume.sourceFps = 30.0f;
    double weightSum = 0.0;
    for (int k = 1; k <= params.bands; ++k) weightSum += std::pow(double(k), -1.5);
    for (int k = 1; k <= params.bands; ++k) {
        volume.frequenciesHz[size_t(k - 1)] = float(k) / params.loopSec;
        const float bandWeight = float(std::pow(double(k), -1.5) / weightSum);
        const cv::Mat noise = smoothNoise(image.size(), radius, params.seed * 7919u + unsigned(k));
        float* reX = volume.plane(k - 1, 0);
        float* imX = volume.plane(k - 1, 1);
        float* reY = volume.plane(k - 1, 2);
        float* imY = volume.plane(k - 1, 3);
        for (int y = 0; y < h; ++y) {
            const float* px = ax.ptr<float>(y);
            const float* py = ay.ptr<float>(y);
            const float* n = noise.ptr<float>(y);
            for (int x = 0; x < w; ++x) {
                const float amplitude = std::hypot(px[x], py[x]);
                const float along = amplitude > 1e-6f ? (float(x) * px[x] + float(y) * py[x]) / amplitude : 0.0f;
                const float phase = 2.0f * float(M_PI) * (float(k) * along / waveLength) + float(M_PI) * n[x];
                const float c = bandWeight * std::cos(phase), s = bandWeight * std::sin(phase);
                const size_t i = size_t(y) * w + x;
                reX[i] = px[x] * c;
                imX[i] = px[x] * s;
                reY[i] = py[x] * c;
                imY[i] = py[x] * s;
            }
        }
    }
    WAFT_RETURN_IF_ERROR(volume.validate());
    return volume;
}

}  // namespace waft::engine
