// Engine benchmarks: CPU softmax splat vs the engine's LibTorch splat (render::softmaxSplat), displacement synthesis
// and a pull/release simulation step at 1280x720 with K = 16, extraction throughput at 512x288. Run:
// build/tests/bench/waft-bench [--benchmark_filter=...]; results go to docs/BENCHMARKS.md.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdlib>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "BenchScenes.h"
#include "analysis/MotionExtractor.h"
#include "baseline/SplatBaseline.h"
#include "core/Runtime.h"
#include "dynamics/ModalSimulator.h"
#include "motion/DisplacementSynth.h"
#include "raster/FrameRenderer.h"
#include "raster/SoftmaxSplatter.h"

using namespace waft::engine;

namespace {

struct SplatCase {
    cv::Mat image;
    DisplacementField field;
    std::vector<float> weights;
};

const SplatCase& splatCase(int w, int h) {
    static std::map<std::pair<int, int>, SplatCase> cache;
    auto it = cache.find({w, h});
    if (it != cache.end()) return it->second;
    SplatCase c;
    const SpectralVolume v = waft::bench::benchScene(w, h, 16, 4.0f * float(w) / 1280.0f + 1.0f);
    v.reference.convertTo(c.image, CV_32FC3);
    synthesizeDisplacement(v, playbackPhasors(v.frequenciesHz, 0.7), c.field);
    c.weights = SoftmaxSplatter::splatWeights(meanMotionMagnitude(v, 8));
    return cache.emplace(std::make_pair(w, h), std::move(c)).first->second;
}

void BM_SoftmaxSplatCpu(benchmark::State& state) {
    const SplatCase& c = splatCase(int(state.range(0)), int(state.range(1)));
    SoftmaxSplatter splatter;
    cv::Mat out;
    for (auto _ : state) {
        splatter.splat(c.image, c.field, c.weights, out);
        benchmark::DoNotOptimize(out.data);
    }
    state.SetItemsProcessed(state.iterations());
    state.counters["holes"] = double(splatter.lastHoleCount());
}

void BM_SoftmaxSplatTorch(benchmark::State& state) {
    const SplatCase& c = splatCase(int(state.range(0)), int(state.range(1)));
    cv::Mat out;
    for (auto _ : state) {
        splatTorchBaseline(c.image, c.field, c.weights, out);
        benchmark::DoNotOptimize(out.data);
    }
    state.SetItemsProcessed(state.iterations());
}

// Displacement synthesis F = Re sum_j S_j q_j: the per-frame cost of a pull (and of playback).
void BM_DisplacementSynthesis(benchmark::State& state) {
    const SpectralVolume v =
        waft::bench::benchScene(int(state.range(0)), int(state.range(1)), int(state.range(2)), 3.0f);
    DisplacementField field;
    double t = 0.0;
    for (auto _ : state) {
        synthesizeDisplacement(v, playbackPhasors(v.frequenciesHz, t += 1.0 / 60.0), field);
        benchmark::DoNotOptimize(field.dx.data());
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(v.coefficients.size() * sizeof(float)));
}

// One interactive frame while a pull is held: modal step (60 Hz) + synthesis.
void BM_PullStep(benchmark::State& state) {
    const SpectralVolume v = waft::bench::benchScene(int(state.range(0)), int(state.range(1)), 16, 3.0f);
    ModalSimulator sim(v);
    DisplacementField field;
    int n = 0;
    for (auto _ : state) {
        sim.setPull(v.width / 2, v.height / 2, float(10 + n % 20), 5.0f);
        sim.step(1.0 / 60.0);
        synthesizeDisplacement(v, sim.coordinates(), field);
        benchmark::DoNotOptimize(field.dx.data());
        ++n;
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_ModalStepOnly(benchmark::State& state) {
    const SpectralVolume v = waft::bench::benchScene(64, 36, 16, 3.0f);
    ModalSimulator sim(v);
    sim.setPull(32, 18, 10.0f, 0.0f);
    for (auto _ : state) {
        sim.step(1.0 / 60.0);
        benchmark::DoNotOptimize(sim.coordinates().data());
    }
}

// A whole CPU frame: synthesis + splat + hole fill + 8-bit conversion.
void BM_RenderFrameCpu(benchmark::State& state) {
    const SpectralVolume v = waft::bench::benchScene(int(state.range(0)), int(state.range(1)), 16, 3.0f);
    FrameRenderer renderer(v);
    cv::Mat frame;
    double t = 0.0;
    for (auto _ : state) {
        renderer.render(playbackPhasors(v.frequenciesHz, t += 1.0 / 30.0), frame);
        benchmark::DoNotOptimize(frame.data);
    }
    state.SetItemsProcessed(state.iterations());
}

// Extraction throughput: 60 frames of 512x288 (rendered from a moving photo) -> flow + resample + FFT.
void BM_Extraction(benchmark::State& state) {
    const int w = 512, h = 288, frames = 60;
    const SpectralVolume v = waft::bench::benchScene(w, h, 4, 2.0f);
    VideoFrames video;
    FrameRenderer renderer(v);
    for (int n = 0; n < frames; ++n) {
        cv::Mat frame;
        renderer.render(playbackPhasors(v.frequenciesHz, n / 30.0), frame);
        video.frames.push_back(frame);
        video.timesSec.push_back(n / 30.0);
    }
    ExtractParams params;
    params.bands = 16;
    params.flowMethod = FlowMethod(state.range(0));
    Progress progress;
    for (auto _ : state) {
        auto volume = MotionExtractor::extract(video, params, Progress::Range(progress, 0, 1), CancelToken());
        benchmark::DoNotOptimize(volume.hasValue());
    }
    state.SetItemsProcessed(int64_t(state.iterations()) * frames);
    state.SetLabel(flowMethodName(params.flowMethod));
}

}  // namespace

BENCHMARK(BM_SoftmaxSplatCpu)->Args({512, 288})->Args({1280, 720})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SoftmaxSplatTorch)->Args({512, 288})->Args({1280, 720})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_DisplacementSynthesis)
    ->Args({1280, 720, 16})
    ->Args({512, 288, 16})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_PullStep)->Args({1280, 720})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ModalStepOnly)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_RenderFrameCpu)->Args({512, 288})->Args({1280, 720})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Extraction)
    ->Arg(int(FlowMethod::Dis))
    ->Arg(int(FlowMethod::Accurate))
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(2);

int main(int argc, char** argv) {
    initRuntime();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
