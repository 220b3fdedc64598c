#include "motion/SpectralVolume.h"

#include <cmath>
#include <opencv2/imgproc.hpp>

namespace waft::engine {

SpectralVolume SpectralVolume::zeros(int width, int height, int bands) {
    SpectralVolume v;
    v.width = width;
    v.height = height;
    v.bands = bands;
    v.coefficients.assign(size_t(bands) * 4 * size_t(width) * size_t(height), 0.0f);
    v.frequenciesHz.resize(size_t(bands));
    for (int j = 0; j < bands; ++j) v.frequenciesHz[size_t(j)] = float(j + 1);
    v.reference = cv::Mat(height, width, CV_8UC3, cv::Scalar(128, 128, 128));
    return v;
}

Status SpectralVolume::validate() const {
    if (width <= 0 || height <= 0 || width > kMaxImageSide || height > kMaxImageSide)
        return Status::invalid("spectral volume size " + std::to_string(width) + "x" + std::to_string(height) +
                               " is outside 1.." + std::to_string(kMaxImageSide));
    if (bands <= 0 || bands > kMaxBands)
        return Status::invalid("spectral volume has " + std::to_string(bands) + " bands, expected 1.." +
                               std::to_string(kMaxBands));
    if (coefficients.size() != size_t(bands) * 4 * planeSize())
        return Status::invalid("spectral volume coefficient count does not match its size");
    if (frequenciesHz.size() != size_t(bands)) return Status::invalid("spectral volume needs one frequency per band");
    for (float f : frequenciesHz)
        if (!std::isfinite(f) || f <= 0.0f || f > 1e4f)
            return Status::invalid("spectral volume band frequency " + std::to_string(f) + " Hz is not in (0, 1e4]");
    // Amplitudes in pixels: beyond 1e5 (six times the largest image side) they mean nothing, and with playback
    // gains they would leave the range renderers convert positions to integers in.
    for (float c : coefficients)
        if (!std::isfinite(c) || std::abs(c) > 1e5f)
            return Status::invalid("spectral volume contains NaN, infinite or absurd (> 1e5 px) coefficients");
    if (reference.empty() || reference.type() != CV_8UC3 || reference.cols != width || reference.rows != height)
        return Status::invalid("spectral volume reference image must be 8-bit colour of the volume's size");
    return Status::ok();
}

void SpectralVolume::applyGains(float globalGain, const std::vector<float>& bandGains) {
    const size_t n = planeSize() * 4;
    for (int j = 0; j < bands; ++j) {
        const float g = globalGain * (size_t(j) < bandGains.size() ? bandGains[size_t(j)] : 1.0f);
        float* p = plane(j, 0);
        for (size_t i = 0; i < n; ++i) p[i] *= g;
    }
}

SpectralVolume SpectralVolume::resized(int newWidth, int newHeight) const {
    SpectralVolume out = *this;
    if (newWidth == width && newHeight == height) return out;
    out.width = newWidth;
    out.height = newHeight;
    out.coefficients.assign(size_t(bands) * 4 * size_t(newWidth) * size_t(newHeight), 0.0f);
    const float sx = float(newWidth) / float(width);
    const float sy = float(newHeight) / float(height);
    const int interpolation = (newWidth < width) ? cv::INTER_AREA : cv::INTER_LINEAR;
    for (int j = 0; j < bands; ++j) {
        for (int c = 0; c < 4; ++c) {
            const cv::Mat src(height, width, CV_32F, const_cast<float*>(plane(j, c)));
            cv::Mat dst(newHeight, newWidth, CV_32F, out.plane(j, c));
            cv::resize(src, dst, dst.size(), 0, 0, interpolation);
            dst *= (c < 2) ? sx : sy;  // x channels scale with width, y with height
        }
    }
    cv::resize(reference, out.reference, cv::Size(newWidth, newHeight), 0, 0, interpolation);
    return out;
}

}  // namespace waft::engine
