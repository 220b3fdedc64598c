// Renderer benchmarks: the full per-frame Vulkan pipeline (synthesis + splat + normalise + hole fill + pack,
// excluding present and read-back) against the CPU reference in the same run, K = 16.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "BenchScenes.h"
#include "VulkanSplatRenderer.h"
#include "core/Runtime.h"
#include "motion/DisplacementSynth.h"
#include "raster/FrameRenderer.h"

using namespace waft;

namespace {

engine::SpectralVolume benchVolume(int w, int h) { return bench::benchScene(w, h, 16, 3.0f); }

std::shared_ptr<render::VulkanContext> context() {
    static auto ctx = render::VulkanContext::create();
    return ctx ? *ctx : nullptr;
}

void BM_VulkanFrame(benchmark::State& state) {
    auto ctx = context();
    if (!ctx) {
        state.SkipWithError("no Vulkan device");
        return;
    }
    const engine::SpectralVolume v = benchVolume(int(state.range(0)), int(state.range(1)));
    render::VulkanSplatParams params;
    params.forceFixedPoint = state.range(2) != 0;
    auto renderer = render::VulkanSplatRenderer::create(ctx, v, params);
    if (!renderer) {
        state.SkipWithError(renderer.status().message().c_str());
        return;
    }
    double t = 0.0;
    for (auto _ : state) (*renderer)->compute(engine::playbackPhasors(v.frequenciesHz, t += 1.0 / 30.0));
    state.SetItemsProcessed(state.iterations());
    state.SetLabel(std::string(ctx->info().name) + ", " + (*renderer)->name());
}

void BM_CpuFrame(benchmark::State& state) {
    const engine::SpectralVolume v = benchVolume(int(state.range(0)), int(state.range(1)));
    engine::FrameRenderer renderer(v);
    cv::Mat frame;
    double t = 0.0;
    for (auto _ : state) renderer.render(engine::playbackPhasors(v.frequenciesHz, t += 1.0 / 30.0), frame);
    state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(BM_VulkanFrame)
    ->Args({512, 288, 0})
    ->Args({512, 288, 1})
    ->Args({1280, 720, 0})
    ->Args({1280, 720, 1})
    ->Args({1920, 1080, 0})
    ->Args({1920, 1080, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_CpuFrame)
    ->Args({512, 288})
    ->Args({1280, 720})
    ->Args({1920, 1080})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

int main(int argc, char** argv) {
    engine::initRuntime();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
