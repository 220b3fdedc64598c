// Renderer benchmarks, K = 16, in one run: the full per-frame Vulkan pipeline (synthesis + splat + normalise +
// hole fill + pack, excluding present and read-back); the CPU frame path (FastFrameRenderer) playing and
// pulling; the exact CPU path it is held to (FrameRenderer); the two interleaved in one loop for their ratio;
// and the LibTorch index_add_ splat (splat and normalise only) as the peer.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include <chrono>

#include "BenchScenes.h"
#include "VulkanSplatRenderer.h"
#include "baseline/SplatBaseline.h"
#include "core/Runtime.h"
#include "dynamics/ModalSimulator.h"
#include "motion/DisplacementSynth.h"
#include "raster/FastFrameRenderer.h"
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

// One scene per size for the CPU benchmarks (a 4K volume is 2 GB of coefficients: built once).
const engine::SpectralVolume& cpuScene(int w, int h) {
    static std::map<std::pair<int, int>, engine::SpectralVolume> scenes;
    auto it = scenes.find({w, h});
    if (it == scenes.end()) {
        if (!scenes.empty() && scenes.begin()->first != std::make_pair(w, h)) scenes.clear();  // one at a time
        it = scenes.emplace(std::make_pair(w, h), benchVolume(w, h)).first;
    }
    return it->second;
}

void frameCounters(benchmark::State& state, const engine::FastFrameRenderer& renderer) {
    state.counters["fps"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
    state.counters["exact_tiles_%"] = 100.0 * double(renderer.lastExactTiles()) / double(renderer.tileCount());
    state.counters["corrected_tiles_%"] = 100.0 * double(renderer.lastCorrectedTiles()) / double(renderer.tileCount());
    state.counters["working_set_MB"] = double(renderer.workingSetBytes()) / 1e6;
}

// The CPU frame path while the loop plays: the whole frame to 8-bit BGR.
void BM_CpuFrame(benchmark::State& state) {
    const engine::SpectralVolume& v = cpuScene(int(state.range(0)), int(state.range(1)));
    engine::FastFrameRenderer renderer(v);
    cv::Mat frame;
    double t = 0.0;
    for (auto _ : state) renderer.render(engine::playbackPhasors(v.frequenciesHz, t += 1.0 / 30.0), frame);
    frameCounters(state, renderer);
}

// While pulling: a 60 Hz modal step (the drag moves every frame) + the whole frame.
void BM_CpuPullFrame(benchmark::State& state) {
    const engine::SpectralVolume& v = cpuScene(int(state.range(0)), int(state.range(1)));
    engine::FastFrameRenderer renderer(v);
    engine::ModalSimulator sim(v);
    cv::Mat frame;
    int n = 0;
    const float scale = float(v.width) / 1280.0f;
    for (auto _ : state) {
        sim.setPull(v.width / 2, v.height / 2, scale * float(10 + n % 20), scale * 5.0f);
        sim.step(1.0 / 60.0);
        renderer.render(sim.coordinates(), frame);
        ++n;
    }
    frameCounters(state, renderer);
}

// The exact path (the reference): full-resolution synthesis, striped splat, push-pull, 8-bit.
void BM_CpuFrameExact(benchmark::State& state) {
    const engine::SpectralVolume& v = cpuScene(int(state.range(0)), int(state.range(1)));
    engine::FrameRenderer renderer(v);
    cv::Mat frame;
    double t = 0.0;
    for (auto _ : state) renderer.render(engine::playbackPhasors(v.frequenciesHz, t += 1.0 / 30.0), frame);
    state.counters["fps"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}

// Both paths on the same frames, interleaved, so their ratio does not depend on the machine's mood.
void BM_CpuFrameSpeedup(benchmark::State& state) {
    const engine::SpectralVolume& v = cpuScene(int(state.range(0)), int(state.range(1)));
    engine::FastFrameRenderer fast(v);
    engine::FrameRenderer exact(v);
    cv::Mat a, b;
    double t = 0.0, fastSec = 0.0, exactSec = 0.0;
    for (auto _ : state) {
        const auto q = engine::playbackPhasors(v.frequenciesHz, t += 1.0 / 30.0);
        const auto t0 = std::chrono::steady_clock::now();
        fast.render(q, a);
        const auto t1 = std::chrono::steady_clock::now();
        exact.render(q, b);
        const auto t2 = std::chrono::steady_clock::now();
        fastSec += std::chrono::duration<double>(t1 - t0).count();
        exactSec += std::chrono::duration<double>(t2 - t1).count();
    }
    state.counters["fast_ms"] = 1e3 * fastSec / double(state.iterations());
    state.counters["exact_ms"] = 1e3 * exactSec / double(state.iterations());
    state.counters["speedup"] = exactSec / fastSec;
}

// The peer: LibTorch's index_add_ formulation of the splat (splat + normalise, no synthesis, no hole fill).
void BM_SplatIndexAdd(benchmark::State& state) {
    const engine::SpectralVolume& v = cpuScene(int(state.range(0)), int(state.range(1)));
    cv::Mat image, out;
    v.reference.convertTo(image, CV_32FC3);
    engine::DisplacementField field;
    engine::synthesizeDisplacement(v, engine::playbackPhasors(v.frequenciesHz, 0.7), field);
    const std::vector<float> weights = engine::sceneSplatWeights(v);
    for (auto _ : state) engine::splatTorchBaseline(image, field, weights, out);
    state.counters["fps"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
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
#define WAFT_CPU_SIZES(b) \
    b->Args({1280, 720})->Args({1920, 1080})->Args({3840, 2160})->Unit(benchmark::kMillisecond)->UseRealTime()
WAFT_CPU_SIZES(BENCHMARK(BM_CpuFrame));
WAFT_CPU_SIZES(BENCHMARK(BM_CpuPullFrame));
WAFT_CPU_SIZES(BENCHMARK(BM_CpuFrameExact));
WAFT_CPU_SIZES(BENCHMARK(BM_CpuFrameSpeedup));
WAFT_CPU_SIZES(BENCHMARK(BM_SplatIndexAdd));

int main(int argc, char** argv) {
    engine::initRuntime();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
