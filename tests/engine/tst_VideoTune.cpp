// Motion transfer on the inflated SD UNet: SMA's and VMC's losses against answers worked by hand (Haar
// coefficients, ω, shift-invariant amplitudes, wrapped phases, proportional residuals), Tune-A-Video's trained set
// (gradients reach it and nothing else), and the fine-tune-then-edit job end to end on a tiny model and a
// TinyWorld clip: the written video decodes, the tuned file holds only the trained tensors and re-applies, a cut
// run resumes exactly, another base model is refused. GoogleTest, no Qt.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "SdTestModelFile.h"
#include "SdTestModels.h"
#include "TestSupport.h"
#include "encode/FfmpegEncoder.h"
#include "io/SafetensorsFile.h"
#include "io/SafetensorsWriter.h"
#include "io/VideoReader.h"
#include "ml/JobSpecs.h"
#include "ml/sd/SdPipeline.h"
#include "ml/sd/SdTensors.h"
#include "ml/sd/SdUNet.h"
#include "ml/sd/TinyWorld.h"
#include "ml/tune/MotionLosses.h"
#include "ml/tune/MotionTransfer.h"
#include "ml/tune/SpectralShift.h"
#include "ml/tune/TuneBenchmark.h"
#include "ml/tune/VideoTune.h"

using namespace waft::engine;
using namespace waft::engine::tune;
namespace fs = std::filesystem;

namespace {

float maxDiff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<float>(); }

std::string saveTinyModel(const fs::path& path, uint64_t seed) {
    const std::string written = waft::test::writeTinySdModel(path.string(), seed);
    EXPECT_FALSE(written.empty());
    return written;
}

// A TinyWorld clip (a red ball moving right) as an mp4 at 8 fps.
std::string saveClip(const fs::path& path, int frames) {
    sd::WorldSpec spec;
    spec.path = sd::WorldPath::Right;
    sd::WorldClipParams p;
    p.frames = frames;
    FfmpegEncoder encoder;
    EXPECT_TRUE(encoder.open(path.string(), ExportFormat::Mp4, p.width, p.height, 8.0f, {}).isOk());
    for (const cv::Mat& f : sd::renderWorldClip(spec, p, 1)) EXPECT_TRUE(encoder.write(f).isOk());
    EXPECT_TRUE(encoder.finish().isOk());
    encoder.close();
    return path.string();
}

TuneParams tinyParams(const std::string& model, const std::string& video, const fs::path& out) {
    TuneParams p;
    p.model = model;
    p.clip.video = video;
    p.clip.frames = 4;
    p.clip.width = p.clip.height = 16;
    p.sourcePrompt = "a red ball moving right over grass";
    p.targetPrompt = "a blue square moving right over grass";
    p.steps = 4;
    p.learningRate = 1e-3f;
    p.checkpointEvery = 2;
    p.sampleSteps = 3;
    p.guidance = 3.0f;
    p.output = out.string();
    p.compute.device = prior::ComputeDevice::Cpu;
    return p;
}

std::map<std::string, torch::Tensor> readTuned(const std::string& path) {
    auto file = SafetensorsFile::open(path);
    EXPECT_TRUE(file.hasValue()) << file.status().message();
    std::map<std::string, torch::Tensor> out;
    if (!file) return out;
    for (const auto& [name, info] : file->tensors()) {
        auto v = file->readFloat(name);
        out[name] = torch::tensor(*v);
    }
    return out;
}

}  // namespace

TEST(MotionLosses, HaarCoefficientsOfAHandMadeSequence) {
    const torch::Tensor x = torch::tensor({1.0f, 2.0f, 3.0f, 4.0f}).unsqueeze(1);
    const auto bands = haarDwt(x, 2);  // {approximation 2, detail 2, detail 1}
    ASSERT_EQ(bands.size(), 3u);
    const float r = 1.0f / std::sqrt(2.0f);
    EXPECT_LT(maxDiff(bands[0], torch::tensor({5.0f}).unsqueeze(1)), 1e-6f);  // (3r + 7r) r
    EXPECT_LT(maxDiff(bands[1], torch::tensor({2.0f}).unsqueeze(1)), 1e-6f);  // (7r - 3r) r
    EXPECT_LT(maxDiff(bands[2], torch::tensor({r, r}).unsqueeze(1)), 1e-6f);  // (2 - 1) r, (4 - 3) r
    // Orthonormal: the energy stays.
    double energy = 0.0;
    for (const auto& b : bands) energy += b.pow(2).sum().item<double>();
    EXPECT_NEAR(energy, 30.0, 1e-5);
    // Odd lengths repeat the last element: [1, 2, 3] -> [1, 2, 3, 3].
    const auto odd = haarDwt(torch::tensor({1.0f, 2.0f, 3.0f}).unsqueeze(1), 1);
    EXPECT_LT(maxDiff(odd[0], torch::tensor({3 * r, 6 * r}).unsqueeze(1)), 1e-6f);
    EXPECT_LT(maxDiff(odd[1], torch::tensor({r, 0.0f}).unsqueeze(1)), 1e-6f);
    EXPECT_EQ(smaLevels(8), 2);
    EXPECT_EQ(smaLevels(16), 3);
    // The global loss: 0 for equal residuals, and the L1 of every band otherwise.
    const torch::Tensor y = x + torch::tensor({0.0f, 0.0f, 0.0f, 1.0f}).unsqueeze(1);
    EXPECT_EQ(smaGlobalLoss(x, x, 2).item<float>(), 0.0f);
    // y - x = [0, 0, 0, 1]: bands {0.5}, {0.5}, {0, r}: L1 means 0.5 + 0.5 + r / 2.
    EXPECT_NEAR(smaGlobalLoss(x, y, 2).item<float>(), 1.0f + r / 2, 1e-6f);
}

TEST(MotionLosses, FrequencyWeightsPeakAtTheCentre) {
    const torch::Tensor w = smaFrequencyWeights(4, 4, 0.05);
    const double top = std::pow(8.0, 0.05);                // ((H/2)² + (W/2)²)^δ
    EXPECT_NEAR(w[2][2].item<double>(), top + 1.0, 1e-6);  // DC after the shift
    EXPECT_NEAR(w[0][0].item<double>(), 1.0, 1e-6);        // the corner
    EXPECT_NEAR(w[0][2].item<double>(), top - std::pow(4.0, 0.05) + 1.0, 1e-6);
    EXPECT_NEAR(w[3][3].item<double>(), top - std::pow(2.0, 0.05) + 1.0, 1e-6);
    EXPECT_EQ(w.argmax().item<int64_t>(), 2 * 4 + 2);
}

TEST(MotionLosses, AmplitudesIgnoreShiftsAndPhasesWrap) {
    torch::manual_seed(1);
    const torch::Tensor clean = torch::randn({3, 2, 8, 8});
    const torch::Tensor shifted = torch::roll(clean, {2, 3}, {2, 3});
    const SmaLocalTerms same = smaLocalLoss(clean, clean);
    EXPECT_LT(same.amplitude.item<float>(), 1e-6f);
    EXPECT_LT(same.phase.item<float>(), 1e-6f);
    const SmaLocalTerms moved = smaLocalLoss(clean, shifted);
    EXPECT_LT(moved.amplitude.item<float>(), 1e-4f);  // a circular shift changes phases only
    EXPECT_GT(moved.phase.item<float>(), 0.1f);
    // Two cosines whose phases are π - 0.05 and -π + 0.05: 0.1 apart once wrapped (2π - 0.1 raw).
    const int n = 8;
    const torch::Tensor x = torch::arange(n, torch::kFloat64) * (2.0 * M_PI / n);
    const auto wave = [&](double phase) {
        return torch::cos(x + phase).unsqueeze(0).expand({n, n}).reshape({1, 1, n, n}).to(torch::kFloat32);
    };
    const SmaLocalTerms near = smaLocalLoss(wave(M_PI - 0.05), wave(-M_PI + 0.05));
    // Two bins (±1 along W in row 0 of the centred spectrum's DC row) carry the wave; every other bin is 0.
    const torch::Tensor w = smaFrequencyWeights(n, n, 0.05);
    const double expected = 0.1 * (w[n / 2][n / 2 - 1].item<double>() + w[n / 2][n / 2 + 1].item<double>()) / (n * n);
    EXPECT_NEAR(near.phase.item<double>(), expected, 1e-4);
    EXPECT_LT(near.amplitude.item<float>(), 1e-4f);
    // The phase loss has finite gradients even through all-zero spectra bins.
    const torch::Tensor estimate = shifted.clone().requires_grad_(true);
    smaLocalLoss(clean, estimate).total().backward();
    EXPECT_TRUE(torch::isfinite(estimate.grad()).all().item<bool>());
}

TEST(MotionLosses, ResidualAlignmentOfProportionalResidualsIsZero) {
    torch::manual_seed(2);
    const torch::Tensor noise = torch::randn({4, 2, 3, 3});
    // 3 x the noise plus an offset every frame shares: residuals 3 x the true ones.
    const torch::Tensor predicted = 3.0 * noise + torch::randn({1, 2, 3, 3});
    EXPECT_LT(vmcResidualLoss(predicted, noise).item<float>(), 1e-5f);
    EXPECT_NEAR(vmcResidualLoss(-noise, noise).item<float>(), 2.0f, 1e-5f);
    EXPECT_GT(vmcResidualLoss(torch::randn({4, 2, 3, 3}), noise).item<float>(), 0.3f);
    // x̂0 is x0 when the noise estimate is exact.
    const torch::Tensor x0 = torch::randn({4, 2, 3, 3});
    const double abar = 0.3;
    const torch::Tensor zt = std::sqrt(abar) * x0 + std::sqrt(1 - abar) * noise;
    EXPECT_LT(maxDiff(estimateCleanLatents(zt, noise, abar), x0), 1e-5f);
    EXPECT_NEAR(smaTimestepWeight(0.25), 0.5, 1e-12);
}

// Tune-A-Video's set trains and nothing else: every trained tensor gets a gradient, every frozen one none.
TEST(MotionTransfer, GradientsReachOnlyTheTrainedTensors) {
    torch::manual_seed(3);
    const sd::SdConfig c = waft::test::tinySdConfig();
    MotionTransferOptions o;
    MotionTransferMethod method(o);
    sd::SdUNet unet(c.unet, method.inflation());
    const auto trained = method.prepare(unet);
    size_t queries = 0, temporal = 0, blocks = 0;
    for (const auto& t : trained) {
        queries += t.key().find("to_q") != std::string::npos && t.key().find("attn_temp") == std::string::npos;
        temporal += t.key().find("attn_temp") != std::string::npos;
    }
    for (const auto& p : unet->named_parameters()) blocks += p.key().find("attn1.to_q.weight") != std::string::npos;
    EXPECT_GE(blocks, 3u);
    EXPECT_EQ(queries, 2 * blocks);   // attn1.to_q and attn2.to_q (no bias in SD 1.5)
    EXPECT_EQ(temporal, 5 * blocks);  // attn_temp's to_q, to_k, to_v weights and to_out's weight and bias
    const int frames = 4;
    TuneBatch b;
    b.clean = torch::randn({frames, 4, 8, 8});
    b.noise = torch::randn_like(b.clean);
    b.alphaBar = 0.5;
    b.noisy = std::sqrt(0.5) * b.clean + std::sqrt(0.5) * b.noise;
    unet->train();
    b.predicted = unet->forward(b.noisy, torch::tensor({400}), torch::randn({frames, 5, 32}), frames);
    LossTerms terms;
    method.loss(b, terms).backward();
    ASSERT_EQ(terms.size(), 4u);  // denoise, sma global, sma amplitude, sma phase
    for (const auto& p : unet->named_parameters()) {
        const bool train = isTuneAVideoTrained(p.key());
        EXPECT_EQ(trained.contains(p.key()), train) << p.key();
        EXPECT_EQ(p.value().grad().defined(), train) << p.key();
        if (train && (p.key().find("to_q") != std::string::npos && p.key().find("attn_temp") == std::string::npos))
            EXPECT_GT(p.value().grad().abs().sum().item<float>(), 0.0f) << p.key();
    }
}

// The job end to end: tune 4 steps on a 4-frame TinyWorld clip, edit, write. The video decodes at the source's
// size with its frame count; the tuned file holds exactly the trained tensors, changed by tuning; applied to the
// same prompt it gives the same clip; a run cut at its step-2 checkpoint and resumed ends with the same tensors
// as the uninterrupted one; another base model's tuned file is refused; bad requests are one line.
TEST(MotionTransfer, JobTunesEditsWritesAndResumesExactly) {
    const fs::path dir = waft::test::tempDir("transfer");
    const std::string model = saveTinyModel(dir / "base.safetensors", 11);
    const std::string video = saveClip(dir / "ball.mp4", 6);
    TuneParams p = tinyParams(model, video, dir / "out.mp4");
    MotionTransferOptions o;
    std::vector<cv::Mat> firstResult;
    {
        VideoTuneJob job("motion transfer", "transfer", p, std::make_shared<MotionTransferMethod>(o), "{}");
        Progress progress;
        std::vector<std::string> metrics;
        progress.setMetricObserver([&](const std::string& name, int, double) { metrics.push_back(name); });
        const Status s = job.run(progress, CancelToken());
        ASSERT_TRUE(s.isOk()) << s.message();
        EXPECT_NE(std::find(metrics.begin(), metrics.end(), "sma global"), metrics.end());
        EXPECT_NE(std::find(metrics.begin(), metrics.end(), "sma phase"), metrics.end());
        EXPECT_NE(job.summary().find("tuned 4 steps"), std::string::npos) << job.summary();
        firstResult = job.result();
    }
    CancelToken none;
    Progress decoding;
    auto decoded = decodeVideo(p.output, {}, Progress::Range(decoding, 0, 1), none);
    ASSERT_TRUE(decoded.hasValue()) << decoded.status().message();
    EXPECT_EQ(decoded->frames.size(), 4u);
    EXPECT_EQ(decoded->frames[0].cols, 32);  // the source's size, not the 16 x 16 work size
    EXPECT_EQ(decoded->frames[0].rows, 32);
    const std::string tuned = defaultTunedPath(p.output);
    const auto a = readTuned(tuned);
    sd::SdUNet reference(waft::test::tinySdConfig().unet, sd::InflationConfig{sd::FrameAttention::SparseCausal, true});
    size_t expected = 0;
    for (const auto& q : reference->named_parameters()) expected += isTuneAVideoTrained(q.key());
    EXPECT_EQ(a.size(), expected);
    auto header = SafetensorsFile::openHeader(tuned);
    ASSERT_TRUE(header.hasValue());
    EXPECT_EQ(header->metadata().at("waft_tuned"), "transfer");
    EXPECT_EQ(header->metadata().at("waft_step"), "4");
    // Tuning moved the temporal attention's output off its zero initialisation.
    const std::string out = "mid_block.attentions.0.transformer_blocks.0.attn_temp.to_out.0.weight";
    ASSERT_TRUE(a.count(out));
    EXPECT_GT(a.at(out).abs().max().item<float>(), 0.0f);

    // Applied again without tuning: the same clip, bit for bit.
    {
        TuneParams again = p;
        again.useTuned = true;
        again.output = (dir / "again.mp4").string();
        again.tuned = tuned;
        VideoTuneJob job("motion transfer", "transfer", again, std::make_shared<MotionTransferMethod>(o), "{}");
        Progress progress;
        const Status s = job.run(progress, CancelToken());
        ASSERT_TRUE(s.isOk()) << s.message();
        ASSERT_EQ(job.result().size(), firstResult.size());
        for (size_t i = 0; i < firstResult.size(); ++i)
            EXPECT_EQ(cv::norm(job.result()[i], firstResult[i], cv::NORM_INF), 0.0) << "frame " << i;
        EXPECT_NE(job.summary().find("applied"), std::string::npos);
    }

    // Cut after the step-2 checkpoint, resumed: the same tensors as the uninterrupted run.
    {
        TuneParams cut = p;
        cut.output = (dir / "cut.mp4").string();
        auto job = makeMotionTransferJob(cut, o);
        Progress progress;
        CancelToken cancel;
        progress.setMetricObserver([&](const std::string&, int step, double) {
            if (step == 2) cancel.cancel();
        });
        EXPECT_EQ(job->run(progress, cancel).code(), StatusCode::Cancelled);
        auto state = SafetensorsFile::openHeader(defaultTunedPath(cut.output));
        ASSERT_TRUE(state.hasValue());
        EXPECT_EQ(state->metadata().at("waft_step"), "2");
        cut.resume = true;
        auto resumed = makeMotionTransferJob(cut, o);
        Progress quiet;
        ASSERT_TRUE(resumed->run(quiet, CancelToken()).isOk());
        const auto b = readTuned(defaultTunedPath(cut.output));
        ASSERT_EQ(a.size(), b.size());
        for (const auto& [name, t] : a) EXPECT_TRUE(torch::equal(t, b.at(name))) << name;
        // Resuming a finished run tunes nothing more; the same output for another caption starts afresh.
        const auto stepsRun = [&](const TuneParams& q) {
            int steps = 0;
            Progress counting;
            counting.setMetricObserver([&](const std::string& name, int, double) { steps += name == "denoise"; });
            EXPECT_TRUE(makeMotionTransferJob(q, o)->run(counting, CancelToken()).isOk());
            return steps;
        };
        EXPECT_EQ(stepsRun(cut), 0);
        TuneParams other = cut;
        other.sourcePrompt = "a red ball moving left over grass";
        EXPECT_EQ(stepsRun(other), 4);
    }

    // Another base model: refused with one line.
    {
        TuneParams other = p;
        other.model = saveTinyModel(dir / "other.safetensors", 12);
        other.useTuned = true;
        other.tuned = tuned;
        other.output = (dir / "other.mp4").string();
        auto job = makeMotionTransferJob(other, o);
        Progress progress;
        const Status s = job->run(progress, CancelToken());
        EXPECT_NE(s.message().find("another base model"), std::string::npos) << s.message();
        EXPECT_FALSE(fs::exists(other.output));
    }

    // The journal's spec brings the job back.
    {
        auto job = makeMotionTransferJob(p, o);
        const auto spec = job->resumeSpec();
        ASSERT_TRUE(spec.has_value());
        EXPECT_EQ(spec->kind, "transfer");
        auto back = jobFromSpec(*spec);
        ASSERT_TRUE(back.hasValue()) << back.status().message();
        EXPECT_EQ((*back)->name(), "motion transfer");
    }

    // Bad requests: one line each, nothing written.
    const auto failure = [&](TuneParams bad) {
        bad.output = (dir / "bad.mp4").string();
        auto job = makeMotionTransferJob(bad, o);
        Progress progress;
        const Status s = job->run(progress, CancelToken());
        EXPECT_FALSE(s.isOk());
        EXPECT_EQ(s.message().find('\n'), std::string::npos) << s.message();
        EXPECT_FALSE(fs::exists(bad.output));
        return s.message();
    };
    TuneParams bad = p;
    bad.targetPrompt.clear();
    EXPECT_NE(failure(bad).find("new prompt is empty"), std::string::npos);
    bad = p;
    bad.clip.frames = 12;  // the clip has 6
    EXPECT_NE(failure(bad).find("holds 6 frames"), std::string::npos);
    bad = p;
    bad.clip.video = (dir / "none.mp4").string();
    EXPECT_FALSE(failure(bad).empty());
    bad = p;
    bad.clip.width = 18;  // not a multiple of 4 for the tiny model
    EXPECT_NE(failure(bad).find("multiples of 4"), std::string::npos);
    bad = p;
    bad.model = video;  // not a model
    EXPECT_FALSE(failure(bad).empty());
}

// SAVE's factors: δ = 0 gives back W; ReLU clips singular values at 0; the factors come from the cache the
// second time, identical; the regulariser is Σ δᵀ diag(σ) δ with gradient 2 diag(σ) δ.
TEST(SpectralShift, FactorsRegulariserAndCache) {
    torch::manual_seed(4);
    clearSpectralCache();
    const torch::Tensor w = torch::randn({12, 8});
    bool cached = true;
    const SpectralFactors f = spectralFactors(w, &cached);
    EXPECT_FALSE(cached);
    ASSERT_EQ(f.sigma.numel(), 8);
    EXPECT_LT(maxDiff(shiftedWeight(f, torch::zeros({8})), w), 1e-5f);
    const SpectralFactors again = spectralFactors(w.clone(), &cached);
    EXPECT_TRUE(cached);
    EXPECT_TRUE(torch::equal(again.u, f.u) && torch::equal(again.sigma, f.sigma) && torch::equal(again.vh, f.vh));
    EXPECT_EQ(spectralCacheSize(), 1u);
    // δ = -2σ: every shifted singular value clips to 0, so Ŵ is 0 (ReLU keeps them non-negative).
    EXPECT_LT(shiftedWeight(f, -2.0 * f.sigma).abs().max().item<float>(), 1e-6f);
    const torch::Tensor shifted = torch::linalg_svdvals(shiftedWeight(f, torch::randn({8})));
    EXPECT_GE(shifted.min().item<float>(), -1e-6f);
    // The regulariser on a known case: σ = {3, 1}, δ = {1, -2}: 3·1 + 1·4 = 7, gradient 2σδ = {6, -4}.
    const SpectralFactors known{torch::eye(2), torch::tensor({3.0f, 1.0f}), torch::eye(2)};
    const torch::Tensor delta = torch::tensor({1.0f, -2.0f}).requires_grad_(true);
    const torch::Tensor r = spectralRegulariser(known, delta);
    EXPECT_FLOAT_EQ(r.item<float>(), 7.0f);
    r.backward();
    EXPECT_LT(maxDiff(delta.grad(), torch::tensor({6.0f, -4.0f})), 1e-6f);
}

// SD 1.5's 32 query projections hold 24,960 singular values (what a SAVE tuned file stores), from the real
// tensor list.
TEST(SpectralShift, Sd15HoldsTheQuerySingularValuesThePaperCounts) {
    const sd::SdConfig sd15;
    int64_t numbers = 0, queries = 0;
    for (const sd::TensorSpec& t : sd::partTensors(sd15, sd::SdPart::Unet)) {
        const std::string module = t.name.substr(0, t.name.rfind('.'));
        if (!isSaveQuery(module) || t.name.compare(t.name.size() - 7, 7, ".weight") != 0) continue;
        ++queries;
        numbers += std::min(t.shape[0], t.shape[1]);
    }
    EXPECT_EQ(queries, 32);
    EXPECT_EQ(numbers, 24960);
}

// With temporal training off only the δ's get gradients: no UNet parameter does, and the UNet's own W^Q stay
// the base's. The rebuilt Ŵ is what the layers compute with.
TEST(SpectralShift, OnlyTheShiftsTrain) {
    torch::manual_seed(5);
    const sd::SdConfig c = waft::test::tinySdConfig();
    EditOptions deltasOnly;
    deltasOnly.trainTemporal = false;
    SpectralShiftMethod method{deltasOnly};
    sd::SdUNet unet(c.unet, method.inflation());
    const auto before =
        unet->named_parameters()["down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight"].clone();
    const auto trained = method.prepare(unet);
    ASSERT_GT(trained.size(), 0u);
    for (const auto& t : trained) EXPECT_NE(t.key().find(".delta"), std::string::npos) << t.key();
    int64_t expected = 0;
    for (const auto& m : unet->named_modules())
        if (isSaveQuery(m.key()))
            expected += std::min(m.value()->as<torch::nn::Linear>()->weight.size(0),
                                 m.value()->as<torch::nn::Linear>()->weight.size(1));
    EXPECT_EQ(method.trainedNumbers(), expected);
    {
        torch::NoGradGuard noGrad;
        for (const auto& t : trained) t.value().add_(0.1);
    }
    unet->train();
    method.refresh(unet);
    const int frames = 3;
    TuneBatch b;
    b.clean = torch::randn({frames, 4, 8, 8});
    b.noise = torch::randn_like(b.clean);
    b.noisy = b.clean + b.noise;
    b.predicted = unet->forward(b.noisy, torch::tensor({300}), torch::randn({frames, 5, 32}), frames);
    LossTerms terms;
    method.loss(b, terms).backward();
    ASSERT_EQ(terms.size(), 2u);  // denoise, regulariser
    EXPECT_GT(terms[1].second, 0.0);
    for (const auto& p : unet->named_parameters()) EXPECT_FALSE(p.value().grad().defined()) << p.key();
    for (const auto& t : trained) {
        ASSERT_TRUE(t.value().grad().defined()) << t.key();
        EXPECT_GT(t.value().grad().abs().sum().item<float>(), 0.0f) << t.key();
    }
    EXPECT_TRUE(torch::equal(
        unet->named_parameters()["down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight"], before));
    // The layer computes with Ŵ: shifted by δ, not the base weight.
    auto* q =
        unet->named_modules()["down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q"]->as<torch::nn::Linear>();
    EXPECT_GT(maxDiff(q->weight.detach(), before), 1e-3f);
    // Full W^Q tuning trains the matrices themselves.
    EditOptions fullTune = deltasOnly;
    fullTune.fullTune = true;
    SpectralShiftMethod full{fullTune};
    sd::SdUNet other(c.unet, full.inflation());
    const auto fullTrained = full.prepare(other);
    EXPECT_EQ(fullTrained.size(), trained.size());
    EXPECT_GT(full.trainedNumbers(), method.trainedNumbers());
}

// The edit job: with guidance 1, no tuning and the source caption as the edit the clip comes back through
// inversion (against the VAE's own round trip: the random tiny VAE is no identity; the UNet's output is scaled
// down: a random one's noise estimate is too wild for the ODE to be followed); a tuned run writes
// δ's only, re-applies, and is refused on another base model.
TEST(SpectralShift, EditJobReconstructsTunesAndReapplies) {
    const fs::path dir = waft::test::tempDir("edit");
    const std::string model = waft::test::writeTinySdModel((dir / "base.safetensors").string(), 21, 0.02f);
    const std::string video = saveClip(dir / "ball.mp4", 6);
    TuneParams p = tinyParams(model, video, dir / "back.mp4");
    p.steps = 0;
    p.guidance = 1.0f;
    p.targetPrompt = p.sourcePrompt;
    p.sampleSteps = 50;
    VideoTuneJob back("text-driven edit", "edit", p, std::make_shared<SpectralShiftMethod>(EditOptions{}), "{}");
    Progress progress;
    ASSERT_TRUE(back.run(progress, CancelToken()).isOk());
    // The VAE round trip of the same frames at the work size, resized back as the job does.
    auto sdModel = sd::loadSdModel(model, {sd::FrameAttention::FirstFrame, true}, p.compute);
    ASSERT_TRUE(sdModel.hasValue());
    auto picked = pickClipFrames(p.clip, Progress::Range(progress, 0, 1), CancelToken());
    ASSERT_TRUE(picked.hasValue());
    std::vector<cv::Mat> work;
    for (const cv::Mat& f : picked->frames) {
        cv::Mat r;
        cv::resize(f, r, cv::Size(16, 16), 0, 0, cv::INTER_AREA);
        work.push_back(r);
    }
    double error = 0.0;
    std::vector<cv::Mat> roundTrip;
    {
        torch::NoGradGuard noGrad;
        roundTrip = sd::tensorToFrames(
            sd::vaeDecode(**sdModel, sd::vaeEncode(**sdModel, sd::framesToTensor(work, torch::kCPU))));
    }
    for (size_t i = 0; i < roundTrip.size(); ++i) {
        cv::Mat r;
        cv::resize(roundTrip[i], r, picked->frames[0].size(), 0, 0, cv::INTER_CUBIC);
        error += cv::norm(r, back.result()[i], cv::NORM_L1) / double(r.total() * r.channels());
    }
    error /= double(roundTrip.size());
    std::printf("edit reconstruction: mean abs error %.3f levels against the VAE round trip\n", error);
    EXPECT_LT(error, 3.0);
    sd::releaseCachedSdModels();

    // Tuned: the file holds the δ's (and nothing else), and applying it again gives the same clip.
    TuneParams t = tinyParams(model, video, dir / "edit.mp4");
    t.targetPrompt = "a green ball moving right over grass";
    EditOptions o;
    o.trainTemporal = false;  // the paper's δ's alone: the file holds nothing else
    VideoTuneJob tuned("text-driven edit", "edit", t, std::make_shared<SpectralShiftMethod>(o), "{}");
    ASSERT_TRUE(tuned.run(progress, CancelToken()).isOk());
    const auto deltas = readTuned(defaultTunedPath(t.output));
    ASSERT_FALSE(deltas.empty());
    for (const auto& [name, v] : deltas) {
        EXPECT_NE(name.find(".delta"), std::string::npos) << name;
        EXPECT_EQ(v.dim(), 1);
    }
    TuneParams again = t;
    again.useTuned = true;
    again.tuned = defaultTunedPath(t.output);
    again.output = (dir / "again.mp4").string();
    VideoTuneJob applied("text-driven edit", "edit", again, std::make_shared<SpectralShiftMethod>(o), "{}");
    const Status s = applied.run(progress, CancelToken());
    ASSERT_TRUE(s.isOk()) << s.message();
    for (size_t i = 0; i < tuned.result().size(); ++i)
        EXPECT_EQ(cv::norm(tuned.result()[i], applied.result()[i], cv::NORM_INF), 0.0) << i;
    again.model = saveTinyModel(dir / "other.safetensors", 22);
    again.output = (dir / "other.mp4").string();
    auto refused = makeEditJob(again, o);
    const Status r = refused->run(progress, CancelToken());
    EXPECT_NE(r.message().find("another base model"), std::string::npos) << r.message();
    // Hostile tuned files: garbage bytes, and the right file with one NaN shift; each is one line, nothing written.
    {
        const std::string good = defaultTunedPath(t.output);
        TuneParams bad = t;
        bad.useTuned = true;
        bad.output = (dir / "hostile.mp4").string();
        bad.tuned = (dir / "garbage.safetensors").string();
        std::ofstream(bad.tuned) << "not a safetensors file at all";
        Status g = makeEditJob(bad, o)->run(progress, CancelToken());
        EXPECT_FALSE(g.isOk());
        EXPECT_EQ(g.message().find('\n'), std::string::npos) << g.message();
        auto header = SafetensorsFile::open(good);
        ASSERT_TRUE(header.hasValue());
        SafetensorsWriter w;
        bool poisoned = false;
        for (const auto& [name, info] : header->tensors()) {
            std::vector<float> v = *header->readFloat(name);
            if (!poisoned) v[0] = std::nanf(""), poisoned = true;
            ASSERT_TRUE(w.addFloat(name, info.shape, v.data()).isOk());
        }
        for (const auto& [k, v] : header->metadata()) w.setMetadata(k, v);
        bad.tuned = (dir / "nan.safetensors").string();
        ASSERT_TRUE(w.save(bad.tuned).isOk());
        const Status n = makeEditJob(bad, o)->run(progress, CancelToken());
        EXPECT_NE(n.message().find("NaN"), std::string::npos) << n.message();
        EXPECT_FALSE(fs::exists(bad.output));
    }
    // A motion transfer's tuned file is not an edit's.
    TuneParams wrong = again;
    wrong.model = model;
    auto transfer = makeMotionTransferJob(wrong, MotionTransferOptions{});
    EXPECT_NE(transfer->run(progress, CancelToken()).message().find("edit"), std::string::npos);
}

// The benchmark runner on a tiny random model: rows in order (a time-matched row brings the two it is matched
// from), trained numbers per method, the judge's scores in range, a markdown table; unknown rows are refused.
TEST(TuneBenchmark, RowsRunAndScore) {
    const fs::path dir = waft::test::tempDir("tune-bench");
    TuneBenchParams p;
    p.model = saveTinyModel(dir / "base.safetensors", 31);
    p.clips = 1;
    p.steps = 2;
    p.sampleSteps = 2;
    p.clip.frames = 4;
    p.clip.width = p.clip.height = 16;
    p.workDir = (dir / "work").string();
    p.compute.device = prior::ComputeDevice::Cpu;
    p.rows = {"full W^Q at SAVE's time"};
    TuneBenchJob edit(TuneBenchJob::Kind::Edit, p);
    Progress progress;
    const Status s = edit.run(progress, CancelToken());
    ASSERT_TRUE(s.isOk()) << s.message();
    const auto& rows = edit.result().rows;
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].name, "SAVE");
    EXPECT_EQ(rows[1].name, "full W^Q");
    EXPECT_LT(rows[0].trainedNumbers, rows[1].trainedNumbers);
    for (const auto& r : rows) {
        EXPECT_EQ(r.clips, 1);
        EXPECT_GE(r.trackError, 0.0);
        EXPECT_LE(r.trackError, 1.5);
        EXPECT_GE(r.consistency, 0.0);
        EXPECT_LE(r.consistency, 1.0);
        EXPECT_GT(r.tuneSecondsPerStep, 0.0);
    }
    EXPECT_NE(edit.result().table().find("| full W^Q at SAVE's time | 1 |"), std::string::npos);
    p.rows = {"no tuning", "TAV + SMA local"};
    TuneBenchJob transfer(TuneBenchJob::Kind::Transfer, p);
    ASSERT_TRUE(transfer.run(progress, CancelToken()).isOk());
    ASSERT_EQ(transfer.result().rows.size(), 2u);
    EXPECT_EQ(transfer.result().rows[0].trainedNumbers, 0);
    EXPECT_GT(transfer.result().rows[1].trainedNumbers, 0);
    p.rows = {"SAVE"};
    TuneBenchJob wrong(TuneBenchJob::Kind::Transfer, p);
    EXPECT_NE(wrong.run(progress, CancelToken()).message().find("unknown benchmark row"), std::string::npos);
}
