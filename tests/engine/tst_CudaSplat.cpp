// CUDA splatting vs the CPU reference (GoogleTest, no Qt: runs on the GPU machine's engine-only build).
// Skipped, and reported as skipped, without a CUDA device.
#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include "TestSupport.h"
#include "core/Runtime.h"
#include "dynamics/ModalSimulator.h"
#include "motion/DisplacementSynth.h"
#include "raster/FrameRenderer.h"
#include "raster/SoftmaxSplatter.h"
#include "raster/cuda/CudaRenderBackend.h"
#include "raster/cuda/CudaSplat.h"

using namespace waft::engine;

class CudaSplat : public ::testing::TestWithParam<bool> {
protected:
    void SetUp() override {
        initRuntime();
        if (cuda::deviceCount() == 0) GTEST_SKIP() << "no CUDA device";
    }
};

// Playback (false) and a pull (true): >= 99.9% of channel values within 1/255 of the CPU reference.
TEST_P(CudaSplat, MatchesCpuReference) {
    const bool pulled = GetParam();
    SpectralVolume v = waft::test::sinusoidalVolume(320, 200, 4, 0.6f, 0, 3.5f);
    SpectralVolume b = waft::test::sinusoidalVolume(320, 200, 4, 0.6f, 2, 2.0f, true);
    std::copy(b.plane(2, 0), b.plane(2, 0) + 4 * b.planeSize(), v.plane(2, 0));
    std::vector<std::complex<float>> q = playbackPhasors(v.frequenciesHz, 0.37);
    if (pulled) {
        ModalSimulator sim(v);
        sim.setPull(160, 100, 12.0f, -5.0f);
        for (int n = 0; n < 45; ++n) sim.step(1.0 / 60.0);
        q = sim.coordinates();
    }
    FrameRenderer cpu(v);
    auto gpu = cuda::createCudaRenderBackend(v);
    ASSERT_TRUE(gpu.hasValue()) << gpu.status().message();
    cv::Mat expected, actual, diff;
    ASSERT_TRUE(cpu.render(q, expected).isOk());
    ASSERT_TRUE((*gpu)->render(q, actual).isOk());
    cv::absdiff(expected, actual, diff);
    double maxDiff;
    cv::minMaxLoc(diff.reshape(1), nullptr, &maxDiff);
    const double within = double(cv::countNonZero(diff.reshape(1) <= 1)) / double(diff.total() * 3);
    std::printf("CUDA vs CPU: %.4f%% within 1/255, max %.0f\n", 100 * within, maxDiff);
    EXPECT_GE(within, 0.999);
}

INSTANTIATE_TEST_SUITE_P(PlaybackAndPull, CudaSplat, ::testing::Values(false, true));
