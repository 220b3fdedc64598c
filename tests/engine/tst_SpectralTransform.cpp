// Motion texture <-> spectral volume (GID eq. 2) and playback: plain GoogleTest, no Qt.
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/core.hpp>
#include <random>

#include "GTestSupport.h"
#include "TestSupport.h"
#include "motion/DisplacementSynth.h"
#include "motion/SpectralTransform.h"

using namespace waft::engine;

namespace {

// A motion texture that is exactly a sum of FFT-bin sinusoids with random per-pixel amplitude and phase.
MotionTexture bandLimitedTexture(int w, int h, int frames, float fps, const std::vector<int>& bins) {
    MotionTexture texture;
    texture.allocate(w, h, frames, fps);
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> amp(0.1f, 3.0f), phase(0.0f, 6.2831853f);
    for (int b : bins) {
        for (size_t p = 0; p < texture.planeSize(); ++p) {
            for (int axis = 0; axis < 2; ++axis) {
                const float a = amp(rng), ph = phase(rng);
                for (int t = 0; t < frames; ++t) {
                    float* plane = axis == 0 ? texture.dx(t) : texture.dy(t);
                    plane[p] += a * std::cos(2.0f * float(M_PI) * b * t / frames + ph);
                }
            }
        }
    }
    return texture;
}

}  // namespace

// GID eq. 2 round trip: texture -> spectral volume -> inverse FFT reproduces the texture.
TEST(SpectralTransform, FftRoundTripOfBandLimitedMotion) {
    const MotionTexture texture = bandLimitedTexture(12, 9, 40, 20.0f, {1, 3, 7});
    auto volume = motionTextureToSpectral(texture, 8, {});
    ASSERT_TRUE(volume.hasValue()) << volume.status().message();
    ASSERT_EQ(volume->bands, 8);
    EXPECT_FUZZY_EQ(volume->frequenciesHz[2], 3.0f * 20.0f / 40.0f);
    auto back = spectralToMotionTexture(*volume, 40, 20.0f);
    ASSERT_TRUE(back.hasValue());
    float worst = 0.0f;
    for (size_t i = 0; i < texture.data.size(); ++i) worst = std::max(worst, std::abs(texture.data[i] - back->data[i]));
    EXPECT_LT(worst, 1e-4f);
}

// Amplitude normalisation: a 2.5 px cosine at bin 3 gives |S_3| = 2.5 and nothing elsewhere.
TEST(SpectralTransform, CoefficientsAreAmplitudesInPixels) {
    MotionTexture texture;
    texture.allocate(2, 2, 30, 30.0f);
    for (int t = 0; t < 30; ++t)
        for (size_t p = 0; p < 4; ++p) texture.dy(t)[p] = 2.5f * std::sin(2.0f * float(M_PI) * 3 * t / 30) + 4.0f;
    auto v = motionTextureToSpectral(texture, 5, {});
    ASSERT_TRUE(v.hasValue());
    EXPECT_LT(std::abs(std::hypot(v->plane(2, 2)[0], v->plane(2, 3)[0]) - 2.5f), 1e-4f);
    EXPECT_LT(std::abs(v->plane(2, 3)[0] + 2.5f), 1e-4f);  // sin = Re(-i e^{iwt}): Im S = -2.5
    EXPECT_LT(std::abs(v->plane(0, 2)[0]), 1e-4f);         // DC (4 px offset) is dropped
}

// Playback at an arbitrary time is the truncated Fourier series; at integer frames it equals the IFFT.
TEST(SpectralTransform, PlaybackAtIntegerTimesEqualsInverseFft) {
    const MotionTexture texture = bandLimitedTexture(10, 6, 32, 16.0f, {2, 5, 9, 13});
    auto volume = motionTextureToSpectral(texture, 6, {});  // keeps bins 1..6 of 15: a truncation
    ASSERT_TRUE(volume.hasValue());
    auto ifft = spectralToMotionTexture(*volume, 32, 16.0f);
    ASSERT_TRUE(ifft.hasValue());
    DisplacementField field;
    float worst = 0.0f;
    for (int t = 0; t < 32; ++t) {
        synthesizeDisplacement(*volume, playbackPhasors(volume->frequenciesHz, t / 16.0), field);
        for (size_t p = 0; p < field.size(); ++p) {
            worst = std::max(worst, std::abs(field.dx[p] - ifft->dx(t)[p]));
            worst = std::max(worst, std::abs(field.dy[p] - ifft->dy(t)[p]));
        }
    }
    EXPECT_LT(worst, 1e-4f);
    // Between frames the series is smooth: half a frame later lies between its neighbours' range.
    synthesizeDisplacement(*volume, playbackPhasors(volume->frequenciesHz, 3.5 / 16.0), field);
    EXPECT_TRUE(std::isfinite(field.dx[0]));
}

TEST(SpectralTransform, BandGainsScaleOnlyTheirBand) {
    SpectralVolume v = waft::test::sinusoidalVolume(8, 8, 3, 1.0f, 1, 2.0f);
    v.plane(0, 0)[3] = 1.0f;
    const SpectralVolume original = v;
    v.applyGains(2.0f, {1.0f, 0.25f, 1.0f});
    EXPECT_FUZZY_EQ(v.plane(0, 0)[3], 2.0f);
    for (size_t i = 0; i < v.planeSize(); ++i) ASSERT_FUZZY_EQ(v.plane(1, 0)[i], original.plane(1, 0)[i] * 0.5f) << i;
}

// Slow motion resamples the time axis: playing at speed s at time t equals normal speed at s*t.
TEST(SpectralTransform, SlowMotionIsTimeResampling) {
    const SpectralVolume v = waft::test::sinusoidalVolume(6, 4, 2, 0.7f, 0, 1.5f);
    std::vector<float> slow = v.frequenciesHz;
    for (float& f : slow) f *= 0.25f;
    DisplacementField a, b;
    synthesizeDisplacement(v, playbackPhasors(slow, 2.0), a);
    synthesizeDisplacement(v, playbackPhasors(v.frequenciesHz, 0.5), b);
    for (size_t p = 0; p < a.size(); ++p) ASSERT_LT(std::abs(a.dx[p] - b.dx[p]), 1e-5f) << p;
}

TEST(SpectralTransform, RejectsTooFewFrames) {
    MotionTexture texture;
    texture.allocate(4, 4, 10, 30.0f);
    EXPECT_FALSE(motionTextureToSpectral(texture, 5, {}).hasValue());  // K=5 needs > 10 frames
    EXPECT_TRUE(motionTextureToSpectral(texture, 4, {}).hasValue());
}
