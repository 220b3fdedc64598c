#include "ml/render/RendererBenchJob.h"

#include <chrono>
#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "ml/prior/Compute.h"
#include "ml/render/FeatureSplat.h"
#include "ml/render/NeuralRenderer.h"
#include "ml/render/RendererPairs.h"
#include "raster/SoftmaxSplatter.h"

namespace waft::engine::render {

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// What the user sees: 8-bit values.
torch::Tensor quantized(const torch::Tensor& rgb) { return (rgb.clamp(0, 1) * 255.0).round() / 255.0; }

// PSNR (dB, peak 1) over the pixels of `mask` [1, H, W] (all pixels when undefined); 99 when identical.
double psnr(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& mask) {
    const torch::Tensor e = (a - b).pow(2).sum(0, true);  // [1, H, W]
    const double count = mask.defined() ? mask.sum().item<double>() * 3.0 : double(a.numel());
    const double sum = (mask.defined() ? (e * mask).sum() : e.sum()).item<double>();
    if (count <= 0) return 0.0;
    const double mse = sum / count;
    return mse <= 0 ? 99.0 : 10.0 * std::log10(1.0 / mse);
}

// SSIM (Wang et al. 2004: 11×11 Gaussian window, σ 1.5, K1 0.01, K2 0.03, peak 1) per RGB channel, its map
// averaged over the pixels of `mask` (all when undefined).
double ssim(const torch::Tensor& a, const torch::Tensor& b, const torch::Tensor& mask) {
    const torch::Tensor g = torch::exp(-(torch::arange(11, torch::kFloat32) - 5).pow(2) / (2 * 1.5 * 1.5));
    const torch::Tensor k = (g / g.sum()).outer(g / g.sum()).view({1, 1, 11, 11}).expand({3, 1, 11, 11}).contiguous();
    const auto blur = [&](const torch::Tensor& x) {
        return torch::conv2d(torch::reflection_pad2d(x.unsqueeze(0), {5, 5, 5, 5}), k, torch::Tensor(),
                             torch::IntArrayRef{1}, torch::IntArrayRef{0}, torch::IntArrayRef{1}, 3)
            .squeeze(0);
    };
    const double c1 = 1e-4, c2 = 9e-4;
    const torch::Tensor ma = blur(a), mb = blur(b);
    const torch::Tensor va = blur(a * a) - ma * ma, vb = blur(b * b) - mb * mb, cov = blur(a * b) - ma * mb;
    const torch::Tensor map = ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
    const torch::Tensor perPixel = map.mean(0, true);
    if (!mask.defined()) return perPixel.mean().item<double>();
    const double count = mask.sum().item<double>();
    return count > 0 ? (perPixel * mask).sum().item<double>() / count : 0.0;
}

void accumulate(RendererBenchRow& into, const RendererBenchRow& pair) {
    into.disoccludedFraction += pair.disoccludedFraction;
    into.psnrFast += pair.psnrFast;
    into.psnrNeural += pair.psnrNeural;
    into.ssimFast += pair.ssimFast;
    into.ssimNeural += pair.ssimNeural;
    into.holePsnrFast += pair.holePsnrFast;
    into.holePsnrNeural += pair.holePsnrNeural;
    into.holeSsimFast += pair.holeSsimFast;
    into.holeSsimNeural += pair.holeSsimNeural;
    into.neuralSecondsPerFrame += pair.neuralSecondsPerFrame;
}

// Means: frame measures over every pair, hole measures over the pairs that have disoccluded pixels.
void finish(RendererBenchRow& r, int holePairs) {
    const double n = std::max(1, r.pairs), h = std::max(1, holePairs);
    r.disoccludedFraction /= n;
    r.psnrFast /= n;
    r.psnrNeural /= n;
    r.ssimFast /= n;
    r.ssimNeural /= n;
    r.holePsnrFast /= h;
    r.holePsnrNeural /= h;
    r.holeSsimFast /= h;
    r.holeSsimNeural /= h;
    r.neuralSecondsPerFrame /= n;
}

// Frame time of a renderer of `config` at w×h (random weights: the cost does not depend on them).
double secondsPerFrame(const NeuralRendererConfig& config, int w, int h, const prior::Compute& compute) {
    NeuralRenderer model(config);
    model->to(compute.device);
    model->eval();
    torch::NoGradGuard noGrad;
    const auto o = torch::TensorOptions().device(compute.device);
    const torch::Tensor image = torch::rand({1, 3, h, w}, o), flow = torch::randn({1, 2, h, w}, o) * 3;
    const torch::Tensor weights = torch::rand({1, 1, h, w}, o);
    const auto once = [&] {
        prior::AutocastScope autocast(compute);
        const torch::Tensor out = model->forward(image, flow, weights, image);
        if (compute.device.is_cuda()) torch::cuda::synchronize();
        return out;
    };
    once();  // warm-up
    const int runs = 3;
    const auto start = Clock::now();
    for (int i = 0; i < runs; ++i) once();
    return since(start) / runs;
}

}  // namespace

Status RendererBenchJob::run(Progress& progress, const CancelToken& cancel) {
    const RendererBenchParams& p = m_params;
    if (p.videos.empty()) return Status::invalid("the benchmark needs at least one video");
    auto loaded = loadNeuralRenderer(p.model);
    if (!loaded) return loaded.status();
    NeuralRenderer model = *loaded;
    auto compute = prior::resolveCompute(p.compute, false);
    if (!compute) return compute.status();
    model->to(compute->device);
    model->eval();
    torch::NoGradGuard noGrad;
    RendererBenchRow all;
    all.clip = "all";
    int allHolePairs = 0;
    double mostHoles = -1.0;
    cv::Mat picture;
    for (size_t v = 0; v < p.videos.size(); ++v) {
        const float a = 0.8f * float(v) / float(p.videos.size()), b = 0.8f * float(v + 1) / float(p.videos.size());
        auto pairs = rendererPairsFromVideo(p.videos[v], p.pairs, progress, a, (a + b) / 2, cancel);
        if (!pairs) return pairs.status();
        RendererBenchRow row;
        row.clip = pairs->empty() ? p.videos[v] : pairs->front().clip;
        if (!pairs->empty())
            WAFT_RETURN_IF_ERROR(checkRendererFrame(model->config, int(pairs->front().target.size(2)),
                                                    int(pairs->front().target.size(1))));
        int holePairs = 0;
        for (const RendererPair& pair : *pairs) {
            if (cancel.isCancelled()) return Status::cancelled();
            const auto dev = [&](const torch::Tensor& t) { return t.unsqueeze(0).to(compute->device); };
            const auto start = Clock::now();
            torch::Tensor neural;
            {
                prior::AutocastScope autocast(*compute);
                neural = model->forward(dev(pair.reference), dev(pair.flow), dev(pair.weights), dev(pair.baseline));
            }
            neural = neural.squeeze(0).to(torch::kCPU, torch::kFloat32);
            RendererBenchRow r;
            r.neuralSecondsPerFrame = since(start);
            const torch::Tensor density = softmaxSplat(torch::ones({1, 1, pair.flow.size(1), pair.flow.size(2)}),
                                                       pair.flow.unsqueeze(0), pair.weights.unsqueeze(0))
                                              .density.squeeze(0);
            const torch::Tensor holes = (density < 0.5).to(torch::kFloat32);  // [1, H, W]
            const torch::Tensor fast = quantized(pair.baseline), mine = quantized(neural), target = pair.target;
            r.disoccludedFraction = holes.mean().item<double>();
            r.psnrFast = psnr(fast, target, {});
            r.psnrNeural = psnr(mine, target, {});
            r.ssimFast = ssim(fast, target, {});
            r.ssimNeural = ssim(mine, target, {});
            if (holes.sum().item<double>() > 0) {
                r.holePsnrFast = psnr(fast, target, holes);
                r.holePsnrNeural = psnr(mine, target, holes);
                r.holeSsimFast = ssim(fast, target, holes);
                r.holeSsimNeural = ssim(mine, target, holes);
                ++holePairs;
            }
            ++row.pairs;
            accumulate(row, r);
            if (!p.picture.empty() && r.disoccludedFraction > mostHoles) {
                mostHoles = r.disoccludedFraction;
                std::vector<cv::Mat> panels = {tensorToBgr8(pair.reference), tensorToBgr8(pair.target),
                                               tensorToBgr8(fast), tensorToBgr8(mine)};
                cv::hconcat(panels, picture);
            }
        }
        all.pairs += row.pairs;
        accumulate(all, row);
        allHolePairs += holePairs;
        finish(row, holePairs);
        m_rows.push_back(row);
        progress.report(b, "benchmark " + row.clip);
    }
    // "all" is the mean over pairs: the rows' sums were added before their means were taken.
    finish(all, allHolePairs);
    m_rows.push_back(all);
    if (!p.picture.empty() && !picture.empty() && !cv::imwrite(p.picture, picture))
        return Status::io(p.picture + ": cannot write the picture");
    if (p.timingWidth > 0 && p.timingHeight > 0) {
        progress.report(0.85f, "frame time");
        if (p.timingWidth < 16 || p.timingHeight < 16) return Status::invalid("timing size must be at least 16x16");
        for (prior::ModelPreset preset : {prior::ModelPreset::Tiny, prior::ModelPreset::Paper})
            WAFT_RETURN_IF_ERROR(checkRendererFrame(rendererPreset(preset), p.timingWidth, p.timingHeight));
        const int w = p.timingWidth / 16 * 16, h = p.timingHeight / 16 * 16;
        cv::Mat image(h, w, CV_32FC3);
        cv::randu(image, 0.0f, 1.0f);
        DisplacementField field;
        field.resize(w, h);
        for (size_t i = 0; i < field.size(); ++i) field.dx[i] = float(i % 7) - 3.0f;
        SoftmaxSplatter splatter;
        cv::Mat out;
        const std::vector<float> weights(field.size(), 1.0f);
        WAFT_RETURN_IF_ERROR(splatter.splat(image, field, weights, out));
        auto start = Clock::now();
        for (int i = 0; i < 3; ++i) WAFT_RETURN_IF_ERROR(splatter.splat(image, field, weights, out));
        m_fastSeconds = since(start) / 3;
        m_tinySeconds = secondsPerFrame(rendererPreset(prior::ModelPreset::Tiny), w, h, *compute);
        m_paperSeconds = secondsPerFrame(rendererPreset(prior::ModelPreset::Paper), w, h, *compute);
    }
    return Status::ok();
}

std::string RendererBenchJob::table() const {
    std::string s =
        "| clip | pairs | disoccluded | PSNR fast | PSNR neural | SSIM fast | SSIM neural | disoccluded PSNR fast | "
        "disoccluded PSNR neural | disoccluded SSIM fast | disoccluded SSIM neural |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|\n";
    for (const RendererBenchRow& r : m_rows) {
        char line[512];
        std::snprintf(line, sizeof line,
                      "| %s | %d | %.2f%% | %.2f | %.2f | %.4f | %.4f | %.2f | %.2f | %.4f | %.4f |\n", r.clip.c_str(),
                      r.pairs, 100.0 * r.disoccludedFraction, r.psnrFast, r.psnrNeural, r.ssimFast, r.ssimNeural,
                      r.holePsnrFast, r.holePsnrNeural, r.holeSsimFast, r.holeSsimNeural);
        s += line;
    }
    return s;
}

}  // namespace waft::engine::render
