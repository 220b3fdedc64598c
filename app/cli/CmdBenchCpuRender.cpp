// waft-cli bench-cpu-render: the CPU frame path against the exact path on real scenes, frame by frame, through
// the export jobs themselves (a comparing back end renders every frame both ways and keeps the fast one).
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <opencv2/core.hpp>

#include "CliArgs.h"
#include "Commands.h"
#include "jobs/SceneAnimator.h"
#include "motion/DisplacementSynth.h"
#include "raster/FastFrameRenderer.h"
#include "raster/FrameRenderer.h"

namespace fs = std::filesystem;

namespace waft::app {

namespace {

constexpr const char* kBenchCpuRenderUsage =
    "waft-cli bench-cpu-render SCENE.waft... -o WORK_DIR [--size WxH] [--seconds L] [--fps F]\n"
    "  renders each scene's seamless loop and a pull-and-release clip (the most mobile pixel dragged by 6% of\n"
    "  the width along its motion, held 1 s) through the export jobs with the CPU frame path, rendering every\n"
    "  frame with the exact path too, and prints a Markdown table: ms per frame of each, their ratio, the\n"
    "  worst frame's PSNR, the largest error in grey levels, pixels off by more than 8, the loop's wrap step\n"
    "  over its median step for each path, and the share of tiles synthesised exactly. The frames go to\n"
    "  WORK_DIR (PNG).";

struct Comparison {
    int frames = 0;
    double fastSec = 0.0, exactSec = 0.0;
    double worstPsnr = 99.0, maxError = 0.0;
    long pixelsOver8 = 0;
    double exactTiles = 0.0;
    // Seam of each path, measured on the fly as ExportCheck's measureFrameSeam does: the wrap step (last ->
    // first) over the median frame step.
    struct Seam {
        cv::Mat first, last;
        std::vector<double> steps;
        void add(const cv::Mat& frame);
        double ratio() const;
    } fastSeam, exactSeam;
};

double meanAbs(const cv::Mat& a, const cv::Mat& b) {
    return cv::norm(a, b, cv::NORM_L1) / double(a.total() * size_t(a.channels()));
}

void Comparison::Seam::add(const cv::Mat& frame) {
    if (first.empty())
        first = frame.clone();
    else
        steps.push_back(meanAbs(last, frame));
    frame.copyTo(last);
}

double Comparison::Seam::ratio() const {
    if (steps.empty()) return 0.0;
    std::vector<double> s = steps;
    std::nth_element(s.begin(), s.begin() + long(s.size() / 2), s.end());
    return s[s.size() / 2] > 0 ? meanAbs(last, first) / s[s.size() / 2] : 0.0;
}

// Renders with the fast path (the frame the job writes) and the exact path, and compares them.
class ComparingBackend : public engine::RenderBackend {
public:
    ComparingBackend(const engine::SpectralVolume& volume, Comparison& stats)
        : m_fast(volume), m_exact(volume), m_stats(stats) {}
    const char* name() const override { return "cpu vs cpu-exact"; }
    engine::Status render(const std::vector<std::complex<float>>& q, cv::Mat& out) override {
        const auto t0 = std::chrono::steady_clock::now();
        WAFT_RETURN_IF_ERROR(m_fast.render(q, out));
        const auto t1 = std::chrono::steady_clock::now();
        WAFT_RETURN_IF_ERROR(m_exact.render(q, m_reference));
        const auto t2 = std::chrono::steady_clock::now();
        m_stats.fastSec += std::chrono::duration<double>(t1 - t0).count();
        m_stats.exactSec += std::chrono::duration<double>(t2 - t1).count();
        ++m_stats.frames;
        const double mse = std::pow(cv::norm(out, m_reference, cv::NORM_L2), 2) / double(out.total() * 3);
        m_stats.worstPsnr = std::min(m_stats.worstPsnr, mse > 0 ? 10.0 * std::log10(255.0 * 255.0 / mse) : 99.0);
        cv::Mat diff;
        cv::absdiff(out, m_reference, diff);
        cv::Mat perPixel = diff.reshape(1, int(diff.total()));
        cv::reduce(perPixel, perPixel, 1, cv::REDUCE_MAX);
        double worst = 0.0;
        cv::minMaxLoc(perPixel, nullptr, &worst);
        m_stats.maxError = std::max(m_stats.maxError, worst);
        m_stats.pixelsOver8 += cv::countNonZero(perPixel > 8);
        m_stats.exactTiles +=
            double(m_fast.lastExactTiles() + m_fast.lastCorrectedTiles()) / double(m_fast.tileCount());
        m_stats.fastSeam.add(out);
        m_stats.exactSeam.add(m_reference);
        return engine::Status::ok();
    }

private:
    engine::FastFrameRenderer m_fast;
    engine::FrameRenderer m_exact;
    Comparison& m_stats;
    cv::Mat m_reference;
};

engine::RenderBackendFactory comparing(Comparison& stats) {
    return [&stats](const engine::SpectralVolume& volume) -> engine::Expected<std::unique_ptr<engine::RenderBackend>> {
        return std::unique_ptr<engine::RenderBackend>(std::make_unique<ComparingBackend>(volume, stats));
    };
}

void printRow(const std::string& scene, const char* clip, cv::Size size, const Comparison& c, bool loop) {
    const double n = std::max(1, c.frames);
    char seam[64] = "–";
    if (loop) std::snprintf(seam, sizeof seam, "%.3f / %.3f", c.fastSeam.ratio(), c.exactSeam.ratio());
    std::printf("| %s | %s | %dx%d | %d | %.1f | %.1f | %.2f | %.2f | %.0f | %ld | %s | %.1f |\n", scene.c_str(), clip,
                size.width, size.height, c.frames, 1e3 * c.fastSec / n, 1e3 * c.exactSec / n, c.exactSec / c.fastSec,
                c.worstPsnr, c.maxError, c.pixelsOver8, seam, 100.0 * c.exactTiles / n);
}

// The pixel that moves most over the loop, and the direction it moves in (its band-1 x/y amplitudes).
void mostMobile(const engine::SpectralVolume& v, int& x, int& y, float& ux, float& uy) {
    const std::vector<float> mean = engine::meanMotionMagnitude(v, 8);
    const size_t best = size_t(std::max_element(mean.begin(), mean.end()) - mean.begin());
    x = int(best % size_t(v.width));
    y = int(best / size_t(v.width));
    ux = std::hypot(v.plane(0, 0)[best], v.plane(0, 1)[best]);
    uy = std::hypot(v.plane(0, 2)[best], v.plane(0, 3)[best]);
    const float length = std::hypot(ux, uy);
    ux = length > 0 ? ux / length : 1.0f;
    uy = length > 0 ? uy / length : 0.0f;
}

}  // namespace

int runBenchCpuRender(const std::vector<std::string>& args) {
    CliArgs cli({"-o", "--size", "--seconds", "--fps"}, {});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), kBenchCpuRenderUsage);
    if (cli.helpRequested()) return std::puts(kBenchCpuRenderUsage), 0;
    if (cli.positionals().empty() || !cli.has("-o"))
        return usageError("need at least one SCENE.waft and -o WORK_DIR", kBenchCpuRenderUsage);
    const auto seconds = cli.real("--seconds", 0.0f, 0.0f, 60.0f);
    const auto fps = cli.real("--fps", 30.0f, 1.0f, 120.0f);
    for (const engine::Status& s : {seconds.status(), fps.status()})
        if (!s) return fail(s);
    int width = 1920, height = 0;
    if (auto s = parseSize(cli, width, height); !s) return fail(s);
    const fs::path work = cli.string("-o", "");
    std::error_code ec;
    fs::create_directories(work, ec);
    if (ec) return fail(engine::Status::io("cannot create " + work.string()));

    std::printf(
        "| scene | clip | size | frames | cpu (ms) | cpu-exact (ms) | ratio | worst PSNR (dB) | max error | "
        "pixels > 8 | wrap/median cpu / exact | exact or corrected tiles (%%) |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (const std::string& path : cli.positionals()) {
        auto scene = engine::loadScene(path);
        if (!scene) return fail(scene.status());
        auto size = engine::outputSize(scene->volume, width, height);
        if (!size) return fail(size.status());
        const std::string label = fs::path(path).stem().string();

        Comparison loop;
        engine::AnimateParams animate;
        animate.seconds = *seconds;
        animate.fps = *fps;
        animate.width = size->width;
        animate.height = size->height;
        // The work folder is this command's own: last run's frames make way.
        fs::remove_all(work / (label + "-loop"), ec);
        fs::remove_all(work / (label + "-pull"), ec);
        engine::AnimateJob loopJob(*scene, (work / (label + "-loop")).string() + "/", animate, comparing(loop));
        if (auto s = runJobWithProgress(loopJob, {}, true); !s) return fail(s);
        printRow(label, "loop", *size, loop, true);

        Comparison pull;
        engine::PullParams p;
        float ux = 1, uy = 0;
        mostMobile(scene->volume, p.x, p.y, ux, uy);
        const float drag = 0.06f * float(scene->volume.width);
        p.dragX = drag * ux;
        p.dragY = drag * uy;
        p.fps = *fps;
        p.seconds = 3.0f;
        p.width = size->width;
        p.height = size->height;
        engine::PullJob pullJob(*scene, (work / (label + "-pull")).string() + "/", p, comparing(pull));
        if (auto s = runJobWithProgress(pullJob, {}, true); !s) return fail(s);
        printRow(label, "pull", *size, pull, false);
    }
    return 0;
}

}  // namespace waft::app
