// Renderer benchmarks: the full per-frame Vulkan pipeline (synthesis + splat + normalise + hole fill + pack,
// excluding present and read-back) against the CPU reference in the same run, K = 16.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "DisplacementSynth.h"
#include "FrameRenderer.h"
#include "Runtime.h"
#include "VulkanSplatRenderer.h"

using namespace waft;

namespace {

engine::SpectralVolume benchVolume(int w, int h) {
    engine::SpectralVolume v = engine::SpectralVolume::zeros(w, h, 16);
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (int j = 0; j < 16; ++j) {
        v.frequenciesHz[size_t(j)] = 0.2f * float(j + 1);
        for (int c = 0; c < 4; ++c) {
            cv::Mat coarse(h / 32 + 2, w / 32 + 2, CV_32F);
            for (int i = 0; i < int(coarse.total()); ++i) coarse.at<float>(i) = u(rng);
            cv::Mat plane(h, w, CV_32F, v.plane(j, c));
            cv::resize(coarse, plane, plane.size(), 0, 0, cv::INTER_CUBIC);
            plane *= 3.0f / float(j + 1);
        }
    }
    const char* env = std::getenv("WAFT_DATA_DIR");
    cv::Mat photo = cv::imread(std::string(env && *env ? env : WAFT_DATA_DIR) +
                                   "/nature-photos/life_by_Aitzol_Berasategi.jpg", cv::IMREAD_REDUCED_COLOR_2);
    if (photo.empty()) {
        photo.create(h, w, CV_8UC3);
        cv::randu(photo, 0, 255);
    }
    cv::resize(photo, v.reference, cv::Size(w, h), 0, 0, cv::INTER_AREA);
    return v;
}

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

BENCHMARK(BM_VulkanFrame)->Args({512, 288, 0})->Args({512, 288, 1})->Args({1280, 720, 0})->Args({1280, 720, 1})
    ->Args({1920, 1080, 0})->Args({1920, 1080, 1})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CpuFrame)->Args({512, 288})->Args({1280, 720})->Args({1920, 1080})->Unit(benchmark::kMillisecond)->UseRealTime();

int main(int argc, char** argv) {
    engine::initRuntime();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
