#include "motion/SpectralTransform.h"

// The two FFTs need a handful of ATen operators, not the whole torch API: per-operator headers keep this
// file out of the ml/ precompiled header and fast to compile.
#include <ATen/core/Tensor.h>
#include <ATen/ops/fft_irfft.h>
#include <ATen/ops/fft_rfft.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/view_as_complex.h>
#include <ATen/ops/view_as_real.h>
#include <ATen/ops/zeros.h>
#include <c10/core/GradMode.h>

#include <cmath>

namespace waft::engine {

Expected<SpectralVolume> motionTextureToSpectral(const MotionTexture& texture, int bands, const cv::Mat& reference) {
    const int frames = texture.frames;
    if (frames < 3 || texture.width <= 0 || texture.height <= 0 || !(texture.fps > 0.0f))
        return Status::invalid("motion texture needs at least 3 frames, a size and a frame rate");
    if (bands < 1 || 2 * bands >= frames)
        return Status::invalid(std::to_string(bands) + " bands need more than " + std::to_string(2 * bands) +
                               " frames; the clip has " + std::to_string(frames));
    c10::NoGradGuard noGrad;
    const int64_t h = texture.height, w = texture.width;
    // [T, 2, H, W] -> rfft over T -> bins 1..K, scaled by 2/T so coefficients are amplitudes in pixels.
    const at::Tensor motion = at::from_blob(const_cast<float*>(texture.data.data()), {frames, 2, h, w}, at::kFloat);
    const at::Tensor spectrum = at::fft_rfft(motion, c10::nullopt, 0).slice(0, 1, bands + 1).mul(2.0 / frames);
    // [K, 2(xy), H, W] complex -> [K, 2(xy), H, W, 2(re,im)] -> [K, xy, re/im, H, W] = [K][4][H][W]
    const at::Tensor planar = at::view_as_real(spectrum).permute({0, 1, 4, 2, 3}).contiguous();

    SpectralVolume volume;
    volume.width = int(w);
    volume.height = int(h);
    volume.bands = bands;
    volume.coefficients.assign(planar.data_ptr<float>(), planar.data_ptr<float>() + planar.numel());
    volume.frequenciesHz.resize(size_t(bands));
    for (int k = 1; k <= bands; ++k) volume.frequenciesHz[size_t(k - 1)] = float(k) * texture.fps / float(frames);
    volume.sourceFps = texture.fps;
    volume.sourceDurationSec = float(frames) / texture.fps;
    volume.reference = reference.empty() ? cv::Mat(int(h), int(w), CV_8UC3, cv::Scalar::all(128)) : reference.clone();
    return volume;
}

Expected<MotionTexture> spectralToMotionTexture(const SpectralVolume& volume, int frames, float fps) {
    if (frames < 3 || !(fps > 0.0f) || 2 * volume.bands >= frames)
        return Status::invalid("inverse FFT needs more than twice as many frames as bands");
    for (int k = 1; k <= volume.bands; ++k) {
        const float bin = float(k) * fps / float(frames);
        if (std::abs(volume.frequenciesHz[size_t(k - 1)] - bin) > 1e-4f * bin)
            return Status::invalid("band frequencies are not the FFT bins of a " + std::to_string(frames) +
                                   "-frame clip; evaluate the series instead");
    }
    c10::NoGradGuard noGrad;
    const int64_t h = volume.height, w = volume.width, k = volume.bands;
    const at::Tensor planar =
        at::from_blob(const_cast<float*>(volume.coefficients.data()), {k, 2, 2, h, w}, at::kFloat);
    const at::Tensor bandsComplex = at::view_as_complex(planar.permute({0, 1, 3, 4, 2}).contiguous());
    at::Tensor spectrum = at::zeros({frames / 2 + 1, 2, h, w}, at::kComplexFloat);
    spectrum.slice(0, 1, k + 1).copy_(bandsComplex.mul(frames / 2.0));
    const at::Tensor motion = at::fft_irfft(spectrum, frames, 0).contiguous();

    MotionTexture texture;
    texture.allocate(int(w), int(h), frames, fps);
    std::copy(motion.data_ptr<float>(), motion.data_ptr<float>() + motion.numel(), texture.data.begin());
    return texture;
}

}  // namespace waft::engine
