#include "dynamics/MotionBrush.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/ximgproc/edge_filter.hpp>
#include <random>

namespace waft::engine {

namespace {
constexpr float kCutoffRadii = 5.0f;          // exp(-12.5): an arrow this far adds nothing measurable
constexpr double kSpectrumWidthBands = 0.45;  // a thing's spectrum: k^-1.5 times a Gaussian this wide about its centre
// Phases and spectra blend between things with Gaussians this many reaches wide: two things' phases cross over
// 2.25 r^2 / D pixels (D apart) instead of r^2 / D, a bend rather than a shear where both still move.
constexpr float kBlendWidth = 1.5f;
constexpr float kMaxWaveStrain = 0.25f;  // the bending wave stretches the photo by at most this (a quarter)
}  // namespace

Expected<SpectralVolume> motionFromBrush(const cv::Mat& image, const std::vector<MotionArrow>& arrows,
                                         const std::vector<MotionAnchor>& anchors, const cv::Mat& freezeMask,
                                         const MotionBrushParams& params, const CancelToken* cancel) {
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

    // Arrows closer than twice the reach paint one thing (they blend anyway): one union-find pass.
    std::vector<size_t> thing(arrows.size());
    for (size_t i = 0; i < arrows.size(); ++i) thing[i] = i;
    const auto root = [&](size_t i) {
        while (thing[i] != i) i = thing[i] = thing[thing[i]];
        return i;
    };
    for (size_t i = 0; i < arrows.size(); ++i)
        for (size_t j = i + 1; j < arrows.size(); ++j)
            if (std::hypot(arrows[i].x - arrows[j].x, arrows[i].y - arrows[j].y) < 2.0f * radius)
                thing[root(j)] = root(i);
    std::vector<int> thingIndex(arrows.size(), -1);  // things numbered in painting order
    int things = 0;
    for (size_t i = 0; i < arrows.size(); ++i)
        if (thingIndex[root(i)] < 0) thingIndex[root(i)] = things++;

    // Each thing sways on its own: its own phase per band (neighbours do not move in lockstep, and a thing moves
    // as one piece) and its own natural frequency, the centre of its spectrum, cycling over the lowest
    // naturalHarmonics (a pull on one thing then mostly excites its bands and leaves the others' alone).
    const int bands = params.bands;
    std::vector<float> thingCos(size_t(things) * size_t(bands)), thingSin(thingCos.size());
    for (int t = 0; t < things; ++t) {
        std::mt19937 rng(params.seed * 7919u + unsigned(t) * 104729u);
        std::uniform_real_distribution<float> turn(0.0f, 2.0f * float(M_PI));
        const int centre =
            1 + int((unsigned(t) + params.seed) % unsigned(std::clamp(params.naturalHarmonics, 1, bands)));
        double total = 0.0;
        std::vector<double> spectrum(static_cast<size_t>(bands));
        for (int k = 1; k <= bands; ++k) {
            const double off = double(k - centre) / kSpectrumWidthBands;
            spectrum[size_t(k - 1)] = std::pow(double(k), -1.5) * std::exp(-0.5 * off * off);
            total += spectrum[size_t(k - 1)];
        }
        for (int k = 0; k < bands; ++k) {
            const float phase = turn(rng), share = float(spectrum[size_t(k)] / total);
            thingCos[size_t(t) * size_t(bands) + size_t(k)] = share * std::cos(phase);
            thingSin[size_t(t) * size_t(bands) + size_t(k)] = share * std::sin(phase);
        }
    }
    std::vector<float> arrowCos(arrows.size() * size_t(bands)), arrowSin(arrowCos.size());
    for (size_t i = 0; i < arrows.size(); ++i)
        for (int k = 0; k < bands; ++k) {
            const size_t from = size_t(thingIndex[root(i)]) * size_t(bands) + size_t(k);
            arrowCos[i * size_t(bands) + size_t(k)] = thingCos[from];
            arrowSin[i * size_t(bands) + size_t(k)] = thingSin[from];
        }

    // 1. Amplitude: sum of Gaussian-weighted arrows, normalised where they overlap (max(1, total weight)); per
    // band, the arrows' weighted phasors (kept in the volume's planes 0 and 1 until step 4). An arrow farther
    // than kCutoffRadii reaches adds under 4e-6 of its weight and is skipped; rows run in parallel and stop on
    // cancel (10,000 arrows of a hostile stroke file cost minutes, not forever).
    SpectralVolume volume = SpectralVolume::zeros(w, h, bands);
    cv::Mat ax(h, w, CV_32F, 0.0f), ay(h, w, CV_32F, 0.0f), weight(h, w, CV_32F, 0.0f);
    cv::Mat blendWeight(h, w, CV_32F, 0.0f);  // the phasors' Gaussian weights, kBlendWidth times as wide
    const float inv2s2 = 1.0f / (2.0f * radius * radius), cutoff = kCutoffRadii * kBlendWidth * radius;
    const float blendInv2s2 = inv2s2 / (kBlendWidth * kBlendWidth);
    std::atomic<bool> stopped{false};
    cv::parallel_for_(cv::Range(0, h), [&](const cv::Range& rows) {
        std::vector<size_t> near;
        std::vector<float> g, gb;
        for (int y = rows.start; y < rows.end; ++y) {
            if (cancel && cancel->isCancelled()) {
                stopped = true;
                return;
            }
            near.clear();
            for (size_t i = 0; i < arrows.size(); ++i)
                if (std::abs(float(y) - arrows[i].y) < cutoff) near.push_back(i);
            g.resize(near.size());
            gb.resize(near.size());
            float* px = ax.ptr<float>(y);
            float* py = ay.ptr<float>(y);
            float* pw = weight.ptr<float>(y);
            float* pb = blendWeight.ptr<float>(y);
            for (int x = 0; x < w; ++x) {
                const size_t p = size_t(y) * w + x;
                for (size_t n = 0; n < near.size(); ++n) {
                    const MotionArrow& a = arrows[near[n]];
                    const float d2 = (float(x) - a.x) * (float(x) - a.x) + (float(y) - a.y) * (float(y) - a.y);
                    const bool inReach = d2 < cutoff * cutoff;
                    g[n] = inReach ? std::exp(-d2 * inv2s2) : 0.0f;
                    gb[n] = inReach ? std::exp(-d2 * blendInv2s2) : 0.0f;
                    px[x] += g[n] * a.dx;
                    py[x] += g[n] * a.dy;
                    pw[x] += g[n];
                    pb[x] += gb[n];
                }
                for (int k = 0; k < bands; ++k) {
                    float re = 0.0f, im = 0.0f;
                    for (size_t n = 0; n < near.size(); ++n) {
                        re += gb[n] * arrowCos[near[n] * size_t(bands) + size_t(k)];
                        im += gb[n] * arrowSin[near[n] * size_t(bands) + size_t(k)];
                    }
                    volume.plane(k, 0)[p] = re;
                    volume.plane(k, 1)[p] = im;
                }
            }
        }
    });
    if (stopped) return Status::cancelled();
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

    // 4. Bands: harmonics of 1/L; band k at a pixel is its amplitude vector times the arrows' phasor blend
    // (normalised by their total blend weight: the amplitude already falls off), times a wave along the amplitude
    // direction (stems bend rather than shift).
    volume.reference = image.clone();
    volume.sourceDurationSec = params.loopSec;
    volume.sourceFps = 30.0f;
    for (int k = 1; k <= bands; ++k) {
        volume.frequenciesHz[size_t(k - 1)] = float(k) / params.loopSec;
        // The wave's phase slope, capped where the band is strong: a wave of amplitude A and slope s stretches
        // the photo by A s, and past ~kMaxWaveStrain it folds pixels over one another.
        float peak = 0.0f;
        for (int y = 0; y < h; ++y) {
            const float* px = ax.ptr<float>(y);
            const float* py = ay.ptr<float>(y);
            const float* pb = blendWeight.ptr<float>(y);
            const float* re = volume.plane(k - 1, 0) + size_t(y) * w;
            const float* im = volume.plane(k - 1, 1) + size_t(y) * w;
            for (int x = 0; x < w; ++x)
                if (pb[x] > 1e-20f) peak = std::max(peak, std::hypot(px[x], py[x]) * std::hypot(re[x], im[x]) / pb[x]);
        }
        const float slope = std::min(2.0f * float(M_PI) * float(k) / waveLength,
                                     peak > 0.0f ? kMaxWaveStrain / peak : std::numeric_limits<float>::max());
        float* reX = volume.plane(k - 1, 0);
        float* imX = volume.plane(k - 1, 1);
        float* reY = volume.plane(k - 1, 2);
        float* imY = volume.plane(k - 1, 3);
        for (int y = 0; y < h; ++y) {
            const float* px = ax.ptr<float>(y);
            const float* py = ay.ptr<float>(y);
            const float* pb = blendWeight.ptr<float>(y);
            for (int x = 0; x < w; ++x) {
                const size_t i = size_t(y) * w + x;
                const float inv = pb[x] > 1e-20f ? 1.0f / pb[x] : 0.0f;
                const float blendRe = reX[i] * inv, blendIm = imX[i] * inv;
                const float amplitude = std::hypot(px[x], py[x]);
                const float along = amplitude > 1e-6f ? (float(x) * px[x] + float(y) * py[x]) / amplitude : 0.0f;
                const float wave = slope * along;
                const float cw = std::cos(wave), sw = std::sin(wave);
                const float c = blendRe * cw - blendIm * sw, s = blendRe * sw + blendIm * cw;
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
