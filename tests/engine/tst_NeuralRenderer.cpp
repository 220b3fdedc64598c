// GID §5's neural renderer: its splatting is the CPU reference's sum and differentiable, a fresh renderer is the
// fast renderer exactly, training makes it beat the fast renderer on the pairs it trained on (held-out frames are
// bench-renderer's job), training resumes exactly, and hostile renderer files are one line. GoogleTest, no Qt.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <thread>

#include "TestSupport.h"
#include "core/Job.h"
#include "ml/JobSpecs.h"
#include "ml/dist/Communicator.h"
#include "ml/dist/DataParallel.h"
#include "ml/prior/ModelFile.h"
#include "ml/render/FeatureSplat.h"
#include "ml/render/NeuralRenderer.h"
#include "ml/render/RendererBenchJob.h"
#include "ml/render/RendererPairs.h"
#include "ml/render/TrainRendererJob.h"
#include "ml/render/Vgg16Features.h"
#include "raster/SoftmaxSplatter.h"

using namespace waft::engine;
using namespace waft::engine::render;

namespace {

float maxDiff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<float>(); }

// A lossless clip of a textured square gliding over a plain background of the clip's own colour (with faint
// grain), so every step disoccludes a strip of background beside the square: the fast renderer's push-pull fills
// it with a blend of background and square, while the right fill is the background the renderer can see on the
// other side. 64×64, `frames` frames.
std::string writeGlidingSquareClip(const std::string& dir, const std::string& name, int frames, float speed, int seed) {
    const std::string path = dir + "/" + name + ".avi";
    const int w = 64, h = 64;
    cv::VideoWriter writer(path, cv::CAP_FFMPEG, cv::VideoWriter::fourcc('F', 'F', 'V', '1'), 10.0, cv::Size(w, h));
    if (!writer.isOpened()) return {};
    cv::RNG rng(static_cast<uint64_t>(seed));
    cv::Mat patch(16, 16, CV_8UC3);
    rng.fill(patch, cv::RNG::UNIFORM, cv::Scalar(150, 20, 20), cv::Scalar(255, 90, 90));
    const cv::Scalar ground(rng.uniform(20, 120), rng.uniform(60, 200), rng.uniform(20, 120));
    cv::Mat grain(h, w, CV_8UC3);
    rng.fill(grain, cv::RNG::UNIFORM, cv::Scalar::all(0), cv::Scalar::all(8));
    const int span = w - 16 - 4;
    for (int n = 0; n < frames; ++n) {
        cv::Mat frame(h, w, CV_8UC3, ground);
        frame += grain;
        const float t = std::fmod(float(n) * speed, 2.0f * span);
        const int px = 2 + int(t < span ? t : 2.0f * span - t);
        const int py = 24 + int(8 * std::sin(0.3 * n + seed));
        patch.copyTo(frame(cv::Rect(px, py, 16, 16)));
        writer.write(frame);
    }
    return path;
}

TrainRendererParams tinyRun(int steps) {
    TrainRendererParams p;
    p.run.preset = prior::ModelPreset::Tiny;
    p.run.steps = steps;
    p.run.batch = 4;
    p.run.width = p.run.height = 64;
    p.run.checkpointEvery = 0;
    p.run.compute.device = prior::ComputeDevice::Cpu;
    p.pairs.maxLongSide = 64;
    p.pairs.minGap = 1;
    p.pairs.maxGap = 3;
    p.pairs.pairsPerClip = 24;
    p.pairs.to = 0.7;
    return p;
}

}  // namespace

// The torch splat (training's, differentiable) and the CPU reference (the fast renderer's) compute the same
// normalised softmax sum, holes included, for any channel count the reference takes.
TEST(NeuralRenderer, FeatureSplatIsTheCpuReferenceSum) {
    torch::manual_seed(0);
    for (int channels : {3, 7}) {
        const int w = 37, h = 29;
        cv::Mat image(h, w, CV_32FC(channels));
        cv::randu(image, -1.0f, 1.0f);
        DisplacementField field;
        field.resize(w, h);
        cv::RNG rng(5);
        for (size_t i = 0; i < field.size(); ++i) {
            field.dx[i] = rng.uniform(-6.0f, 6.0f);
            field.dy[i] = rng.uniform(-4.0f, 4.0f);
        }
        field.dx[17] = NAN;
        std::vector<float> weights(field.size());
        for (float& v : weights) v = rng.uniform(0.01f, 1.0f);
        SoftmaxSplatter splatter;
        splatter.setFillHoles(false);
        cv::Mat reference;
        ASSERT_TRUE(splatter.splat(image, field, weights, reference).isOk());
        ASSERT_GT(splatter.lastHoleCount(), 0u);

        const torch::Tensor values =
            torch::from_blob(image.data, {h, w, channels}, torch::kFloat32).permute({2, 0, 1}).unsqueeze(0);
        const torch::Tensor flow = torch::stack({torch::from_blob(field.dx.data(), {h, w}, torch::kFloat32),
                                                 torch::from_blob(field.dy.data(), {h, w}, torch::kFloat32)})
                                       .unsqueeze(0);
        const torch::Tensor wt = torch::from_blob(weights.data(), {1, 1, h, w}, torch::kFloat32);
        const Splatted got = softmaxSplat(values, flow, wt);
        const torch::Tensor expected =
            torch::from_blob(reference.data, {h, w, channels}, torch::kFloat32).permute({2, 0, 1}).unsqueeze(0);
        EXPECT_LT(maxDiff(got.values, expected), 2e-5f) << channels << " channels";
        EXPECT_EQ((got.density == 0).sum().item<int64_t>(), int64_t(splatter.lastHoleCount()));
    }
}

// Gradients reach the splatted values: with no motion and uniform weights the splat is the identity, so the
// gradient of the sum is 1 everywhere.
TEST(NeuralRenderer, FeatureSplatPassesGradientsToValues) {
    const torch::Tensor values = torch::randn({2, 5, 8, 12}).requires_grad_(true);
    const Splatted s = softmaxSplat(values, torch::zeros({2, 2, 8, 12}), torch::full({2, 1, 8, 12}, 0.3f));
    EXPECT_LT(maxDiff(s.values, values), 1e-6f);
    EXPECT_LT(maxDiff(s.density, torch::ones({2, 1, 8, 12})), 1e-6f);
    s.values.sum().backward();
    EXPECT_LT(maxDiff(values.grad(), torch::ones_like(values)), 1e-6f);
}

// ... and the weights (the learned importance trains through them): where sources overlap, autograd's gradient
// is the central difference's.
TEST(NeuralRenderer, FeatureSplatPassesGradientsToWeights) {
    torch::manual_seed(3);
    const torch::Tensor values = torch::randn({1, 2, 6, 7}), flow = torch::randn({1, 2, 6, 7}) * 2.0;
    const torch::Tensor probe = torch::randn({1, 2, 6, 7});
    const torch::Tensor weights = (torch::rand({1, 1, 6, 7}) * 0.8 + 0.2).requires_grad_(true);
    const auto objective = [&](const torch::Tensor& w) { return (softmaxSplat(values, flow, w).values * probe).sum(); };
    objective(weights).backward();
    const torch::Tensor grad = weights.grad().flatten();
    ASSERT_GT(grad.abs().max().item<float>(), 1e-3f);
    for (int64_t i = 0; i < grad.numel(); i += 5) {
        torch::NoGradGuard noGrad;
        const float eps = 1e-2f;
        torch::Tensor up = weights.detach().clone(), down = weights.detach().clone();
        up.view({-1})[i] += eps;
        down.view({-1})[i] -= eps;
        const float numeric = (objective(up) - objective(down)).item<float>() / (2 * eps);
        EXPECT_NEAR(grad[i].item<float>(), numeric, 2e-3f + 0.02f * std::abs(numeric)) << i;
    }
}

// The last layer starts at zero: an untrained renderer returns the fast renderer's frame exactly, whatever the
// features; the parameter count the budget check uses is the module's.
TEST(NeuralRenderer, FreshRendererIsTheFastRenderer) {
    torch::manual_seed(1);
    for (prior::ModelPreset preset : {prior::ModelPreset::Tiny, prior::ModelPreset::Paper}) {
        NeuralRenderer model(rendererPreset(preset));
        int64_t count = 0;
        for (const auto& p : model->parameters()) count += p.numel();
        EXPECT_EQ(count, rendererParameterCount(model->config));
        torch::NoGradGuard noGrad;
        const torch::Tensor reference = torch::rand({2, 3, 32, 48}), baseline = torch::rand({2, 3, 32, 48});
        const torch::Tensor out =
            model->forward(reference, torch::randn({2, 2, 32, 48}) * 4, torch::rand({2, 1, 32, 48}), baseline);
        EXPECT_EQ(maxDiff(out, baseline), 0.0f);
    }
}

// Learning, end to end through the splat and the synthesis network: trained on the pairs of one clip, the
// renderer must rebuild those frames better than pixel splatting + push-pull (by 1 dB PSNR), where an untrained
// one is exactly as good (FreshRendererIsTheFastRenderer). Generalisation to frames and clips never seen is what
// `waft-cli bench-renderer` measures on real clips (docs/BENCHMARKS.md).
TEST(NeuralRenderer, TrainingBeatsPixelSplattingOnItsPairs) {
    const std::string dir = waft::test::tempDir("renderer-learn");
    ASSERT_FALSE(writeGlidingSquareClip(dir, "a", 24, 3.0f, 1).empty());
    const std::string out = dir + "/renderer.safetensors";
    TrainRendererParams run = tinyRun(400);
    run.run.learningRate = 1e-3f;
    run.pairs.to = 1.0;
    run.pairs.pairsPerClip = 12;
    TrainRendererJob job(dir, out, run);
    Progress progress;
    ASSERT_TRUE(job.run(progress, CancelToken()).isOk());
    EXPECT_EQ(job.pairCount(), 12);
    // The default loss is a mean of ln(loss per crop): 0.1 below is a tenth off the crops' geometric mean loss.
    ASSERT_EQ(run.loss, RendererLoss::LogL2);
    EXPECT_LT(job.lastLoss(), job.fastLoss() - 0.1f) << job.summary();

    RendererBenchParams bench;
    bench.model = out;
    bench.videos = {dir + "/a.avi"};
    bench.pairs = run.pairs;
    bench.timingWidth = 0;
    bench.compute.device = prior::ComputeDevice::Cpu;
    RendererBenchJob fit(bench);
    ASSERT_TRUE(fit.run(progress, CancelToken()).isOk());
    const RendererBenchRow& all = fit.rows().back();
    std::printf("%s%s\n", fit.table().c_str(), job.summary().c_str());
    EXPECT_EQ(all.pairs, 12);
    EXPECT_GT(all.disoccludedFraction, 0.005);
    EXPECT_GT(all.psnrNeural, all.psnrFast + 0.5);
    // The learned importance (zero at the start) trained too: its gradient comes through the splat's weights.
    auto trained = loadNeuralRenderer(out);
    ASSERT_TRUE(trained.hasValue()) << trained.status().message();
    EXPECT_GT((*trained)->named_parameters()["importance.weight"].abs().max().item<float>(), 1e-4f);
}

// The pairs a run trains on are the same every time they are cut from a clip (exact resume and data-parallel
// ranks cut them again): the refined flow, its weights and the fast renderer's frame are bit-identical.
TEST(NeuralRenderer, PairsAreReproducible) {
    const std::string dir = waft::test::tempDir("renderer-pairs");
    const std::string clip = writeGlidingSquareClip(dir, "a", 24, 3.0f, 4);
    ASSERT_FALSE(clip.empty());
    const RendererPairParams params = tinyRun(12).pairs;
    ASSERT_EQ(params.flow, FlowMethod::Accurate);
    Progress progress;
    auto first = rendererPairsFromVideo(clip, params, progress, 0.0f, 1.0f, CancelToken());
    auto second = rendererPairsFromVideo(clip, params, progress, 0.0f, 1.0f, CancelToken());
    ASSERT_TRUE(first.hasValue() && second.hasValue());
    ASSERT_EQ(first->size(), second->size());
    for (size_t i = 0; i < first->size(); ++i) {
        EXPECT_EQ(maxDiff((*first)[i].flow, (*second)[i].flow), 0.0f) << i;
        EXPECT_EQ(maxDiff((*first)[i].weights, (*second)[i].weights), 0.0f) << i;
        EXPECT_EQ(maxDiff((*first)[i].baseline, (*second)[i].baseline), 0.0f) << i;
    }
}

// Backward pairs: every second pair is the forward run's pair turned round in time (its target is the reference,
// its reference the target, its flow pointing the other way); the others are the forward run's, bit for bit. The
// choice is in the job's spec, so a resume cuts the same pairs, and a spec's non-boolean value is one line.
TEST(NeuralRenderer, BackwardPairsRunFromTheLaterFrame) {
    const std::string dir = waft::test::tempDir("renderer-backward");
    const std::string clip = writeGlidingSquareClip(dir, "a", 24, 3.0f, 4);
    ASSERT_FALSE(clip.empty());
    RendererPairParams params = tinyRun(12).pairs;
    params.pairsPerClip = 8;
    Progress progress;
    auto forward = rendererPairsFromVideo(clip, params, progress, 0.0f, 1.0f, CancelToken());
    params.backward = true;
    auto mixed = rendererPairsFromVideo(clip, params, progress, 0.0f, 1.0f, CancelToken());
    ASSERT_TRUE(forward.hasValue() && mixed.hasValue());
    ASSERT_EQ(forward->size(), 8u);
    ASSERT_EQ(mixed->size(), 8u);
    int moving = 0;
    for (size_t i = 0; i < 8; ++i) {
        const RendererPair &f = (*forward)[i], &m = (*mixed)[i];
        EXPECT_LT(f.from, f.to) << i;
        if (i % 2 == 0) {
            EXPECT_EQ(m.from, f.from) << i;
            EXPECT_EQ(maxDiff(m.flow, f.flow), 0.0f) << i;
            continue;
        }
        EXPECT_EQ(m.from, f.to) << i;
        EXPECT_EQ(m.to, f.from) << i;
        EXPECT_EQ(maxDiff(m.reference, f.target), 0.0f) << i;
        EXPECT_EQ(maxDiff(m.target, f.reference), 0.0f) << i;
        // The x flow summed over the frame: the square moves 3 px a frame over its 256 pixels (DIS finds less
        // of it, and not the same amount both ways), so the backward flow points the other way.
        const float there = f.flow[0].sum().item<float>(), back = m.flow[0].sum().item<float>();
        if (std::abs(there) < 300.0f) continue;  // a pair across the square's bounce at the frame's edge
        ++moving;
        EXPECT_LT(back * there, 0.0f) << i << ": " << there << " forward, " << back << " backward";
    }
    EXPECT_GE(moving, 2);
    TrainRendererParams run = tinyRun(12);
    run.pairs.backward = true;
    TrainRendererJob job(dir, dir + "/r.safetensors", run);
    const auto spec = job.resumeSpec();
    ASSERT_TRUE(spec.has_value());
    EXPECT_NE(spec->paramsJson.find("\"backward\":true"), std::string::npos) << spec->paramsJson;
    auto resumed = trainRendererJobFromSpec(spec->paramsJson);
    ASSERT_TRUE(resumed.hasValue()) << resumed.status().message();
    EXPECT_NE((*resumed)->resumeSpec()->paramsJson.find("\"backward\":true"), std::string::npos);
    std::string hostile = spec->paramsJson;
    hostile.replace(hostile.find("\"backward\":true"), 15, "\"backward\":1e308");
    auto refused = trainRendererJobFromSpec(hostile);
    ASSERT_FALSE(refused.hasValue());
    EXPECT_NE(refused.status().message().find("backward"), std::string::npos) << refused.status().message();
    EXPECT_EQ(refused.status().message().find('\n'), std::string::npos) << refused.status().message();
}

// Synthetic layered pairs: the patch moves by one whole-pixel displacement, its flow says so exactly, the target
// is the patch moved over the real target, it uncovers background the reference does not show, and its splat
// weight puts it in front: the fast renderer rebuilds the moved patch exactly. The same seed cuts the same pairs,
// and a clip too fast for a patch to outrun is one line after a bounded number of draws.
TEST(NeuralRenderer, SyntheticLayeredPairsAreExactAndInFront) {
    torch::manual_seed(3);
    RendererPair still;
    still.reference = torch::rand({3, 64, 80});
    still.target = still.reference.clone();
    still.flow = torch::zeros({2, 64, 80});
    ASSERT_TRUE(splatBaseline(still).isOk());
    auto pairs = syntheticLayeredPairs({still}, 6, 7, CancelToken());
    ASSERT_TRUE(pairs.hasValue()) << pairs.status().message();
    ASSERT_EQ(pairs->size(), 6u);
    for (const RendererPair& p : *pairs) {
        const torch::Tensor before = (p.flow.abs().sum(0, true) > 0).to(torch::kFloat32);
        const float area = before.mean().item<float>();
        EXPECT_GT(area, 0.005f);
        EXPECT_LT(area, 0.5f);
        const torch::Tensor inside = before[0].nonzero()[0];
        const int dx = int(p.flow[0][inside[0]][inside[1]].item<float>());
        const int dy = int(p.flow[1][inside[0]][inside[1]].item<float>());
        EXPECT_GE(std::hypot(dx, dy), 1.0);
        EXPECT_LE(std::hypot(dx, dy), 24.0);
        const torch::Tensor d = torch::tensor({float(dx), float(dy)}).view({2, 1, 1});
        EXPECT_EQ(maxDiff(p.flow, d * before), 0.0f);
        const torch::Tensor after = torch::roll(before, {dy, dx}, {1, 2});
        // The blob and the blob moved stay 2 px inside the frame (so the rolls below never wrap).
        const int64_t h = before.size(1), w = before.size(2);
        const int top = 2 + std::max(0, -dy), bottom = 2 + std::max(0, dy);
        const int left = 2 + std::max(0, -dx), right = 2 + std::max(0, dx);
        EXPECT_EQ(before.narrow(1, 0, top).sum().item<float>(), 0.0f);
        EXPECT_EQ(before.narrow(1, h - bottom, bottom).sum().item<float>(), 0.0f);
        EXPECT_EQ(before.narrow(2, 0, left).sum().item<float>(), 0.0f);
        EXPECT_EQ(before.narrow(2, w - right, right).sum().item<float>(), 0.0f);
        EXPECT_EQ(maxDiff(p.target * after, torch::roll(p.reference, {dy, dx}, {1, 2}) * after), 0.0f);
        EXPECT_EQ(maxDiff(p.target * (1 - after), still.target * (1 - after)), 0.0f);
        EXPECT_EQ(maxDiff(p.reference * (1 - before), still.reference * (1 - before)), 0.0f);
        EXPECT_GT((before * (1 - after)).sum().item<float>(), 0.0f);  // uncovered background
        // The fast renderer puts the patch in front: inside the moved blob (1 px in from its edge) it is exact.
        const torch::Tensor core = 1 - torch::max_pool2d(1 - after.unsqueeze(0), 3, 1, 1).squeeze(0);
        EXPECT_LT(maxDiff(p.baseline * core, p.target * core), 1e-3f);
    }
    auto again = syntheticLayeredPairs({still}, 6, 7, CancelToken());
    auto other = syntheticLayeredPairs({still}, 6, 8, CancelToken());
    ASSERT_TRUE(again.hasValue() && other.hasValue());
    for (size_t i = 0; i < 6; ++i) EXPECT_EQ(maxDiff((*pairs)[i].target, (*again)[i].target), 0.0f) << i;
    EXPECT_GT(maxDiff((*pairs)[0].target, (*other)[0].target), 0.0f);
    // Clips of other sizes lend their frames, resized, to each other's patches.
    RendererPair small;
    small.reference = torch::rand({3, 48, 64});
    small.target = small.reference.clone();
    small.flow = torch::zeros({2, 48, 64});
    ASSERT_TRUE(splatBaseline(small).isOk());
    auto mixed = syntheticLayeredPairs({still, small}, 8, 7, CancelToken());
    ASSERT_TRUE(mixed.hasValue()) << mixed.status().message();
    for (const RendererPair& p : *mixed) {
        EXPECT_EQ(p.target.sizes(), p.reference.sizes());
        EXPECT_EQ(p.baseline.sizes(), p.reference.sizes());
        EXPECT_EQ(p.flow.size(2), p.reference.size(2));
    }
    // Motion of 30 px everywhere: a patch would need 46 px, beyond the 24 allowed.
    RendererPair fast = still;
    fast.flow = torch::full({2, 64, 80}, 21.2f);
    auto refused = syntheticLayeredPairs({fast}, 4, 7, CancelToken());
    ASSERT_FALSE(refused.hasValue());
    EXPECT_NE(refused.status().message().find("32 where the clips move too fast"), std::string::npos)
        << refused.status().message();
    EXPECT_EQ(refused.status().message().find('\n'), std::string::npos);
    EXPECT_FALSE(syntheticLayeredPairs({still}, kMaxSyntheticPairs + 1, 7, CancelToken()).hasValue());
    EXPECT_FALSE(syntheticLayeredPairs({}, 1, 7, CancelToken()).hasValue());
    RendererPair mismatched = still;  // a flow of another size: refused, not read past its end
    mismatched.flow = torch::zeros({2, 32, 80});
    EXPECT_EQ(splatBaseline(mismatched).code(), StatusCode::InvalidArgument);
    // A run adds them to the clip's pairs: 12 from the clip, half as many again.
    const std::string dir = waft::test::tempDir("renderer-synthetic");
    ASSERT_FALSE(writeGlidingSquareClip(dir, "a", 24, 3.0f, 1).empty());
    TrainRendererParams run = tinyRun(2);
    run.pairs.to = 1.0;
    run.pairs.pairsPerClip = 12;
    run.synthetic = 0.5;
    TrainRendererJob job(dir, dir + "/r.safetensors", run);
    Progress progress;
    ASSERT_TRUE(job.run(progress, CancelToken()).isOk());
    EXPECT_EQ(job.pairCount(), 18);
    const auto spec = job.resumeSpec();
    ASSERT_TRUE(spec.has_value());
    EXPECT_NE(spec->paramsJson.find("\"synthetic\":0.5"), std::string::npos) << spec->paramsJson;
    // The spec's share is range-checked (0..4): "0.5" made "9.5" is one line naming the field.
    auto hostile = *spec;
    hostile.paramsJson.replace(hostile.paramsJson.find("\"synthetic\":0.5"), 15, "\"synthetic\":9.5");
    auto refusedSpec = jobFromSpec(hostile);
    ASSERT_FALSE(refusedSpec.hasValue()) << hostile.paramsJson;
    EXPECT_NE(refusedSpec.status().message().find("synthetic"), std::string::npos) << refusedSpec.status().message();
    EXPECT_EQ(refusedSpec.status().message().find('\n'), std::string::npos);
}

// Stopped and resumed, a run ends where an uninterrupted one does (the training state holds the live weights and
// AdamW's moments; the crop draws are replayed).
TEST(NeuralRenderer, ResumedTrainingEqualsUninterrupted) {
    // On one intra-op thread, where the resume is exact: on two, some reduction sums in a varying order, and on the
    // refined flow's pairs AdamW turns that into up to a whole step (2.2e-4 seen) on a weight whose gradient is
    // near zero.
    const int threads = torch::get_num_threads();
    torch::set_num_threads(1);
    struct Restore {
        int n;
        ~Restore() { torch::set_num_threads(n); }
    } restore{threads};
    const std::string dir = waft::test::tempDir("renderer-resume");
    ASSERT_FALSE(writeGlidingSquareClip(dir, "a", 24, 3.0f, 4).empty());
    Progress progress;
    TrainRendererJob straight(dir, dir + "/straight.safetensors", tinyRun(12));
    ASSERT_TRUE(straight.run(progress, CancelToken()).isOk());
    TrainRendererJob first(dir, dir + "/resumed.safetensors", tinyRun(6));
    ASSERT_TRUE(first.run(progress, CancelToken()).isOk());
    TrainRendererParams rest = tinyRun(12);
    rest.run.resume = true;
    TrainRendererJob second(dir, dir + "/resumed.safetensors", rest);
    ASSERT_TRUE(second.run(progress, CancelToken()).isOk());
    auto a = loadNeuralRenderer(dir + "/straight.safetensors");
    auto b = loadNeuralRenderer(dir + "/resumed.safetensors");
    ASSERT_TRUE(a.hasValue() && b.hasValue());
    const auto pa = (*a)->named_parameters(), pb = (*b)->named_parameters();
    // A resume that lost AdamW's moments or replayed other crops differs by about the learning rate (2e-4) per step.
    for (const auto& p : pa) EXPECT_LT(maxDiff(p.value(), pb[p.key()]), 2e-5f) << p.key();
    // Without the training state (EMA weights, fresh moments) the same resume ends elsewhere: the check can fail.
    TrainRendererJob cut(dir, dir + "/cut.safetensors", tinyRun(6));
    ASSERT_TRUE(cut.run(progress, CancelToken()).isOk());
    std::filesystem::remove(dir + "/cut.train-state.safetensors");
    TrainRendererJob fresh(dir, dir + "/cut.safetensors", rest);
    ASSERT_TRUE(fresh.run(progress, CancelToken()).isOk());
    auto c = loadNeuralRenderer(dir + "/cut.safetensors");
    ASSERT_TRUE(c.hasValue());
    float largest = 0.0f;
    for (const auto& p : (*c)->named_parameters()) largest = std::max(largest, maxDiff(p.value(), pa[p.key()]));
    EXPECT_GT(largest, 1e-4f);
    // The journal's spec rebuilds the same run.
    const auto spec = second.resumeSpec();
    ASSERT_TRUE(spec.has_value());
    EXPECT_NE(spec->paramsJson.find("\"flow\":\"accurate\""), std::string::npos) << spec->paramsJson;
    EXPECT_NE(spec->paramsJson.find("\"loss\":\"log-l2\""), std::string::npos) << spec->paramsJson;
    auto rebuilt = jobFromSpec(*spec);
    ASSERT_TRUE(rebuilt.hasValue()) << rebuilt.status().message();
    EXPECT_EQ((*rebuilt)->name(), "train neural renderer");
    // A spec whose flow is neither method is one line naming the field, not a run on some other flow.
    auto hostile = *spec;
    hostile.paramsJson.replace(hostile.paramsJson.find("\"flow\":\"accurate\""), 17, "\"flow\":\"quantum\"");
    auto refused = jobFromSpec(hostile);
    ASSERT_FALSE(refused.hasValue());
    EXPECT_NE(refused.status().message().find("flow"), std::string::npos) << refused.status().message();
    EXPECT_EQ(refused.status().message().find('\n'), std::string::npos);
    auto badLoss = *spec;
    badLoss.paramsJson.replace(badLoss.paramsJson.find("\"loss\":\"log-l2\""), 15, "\"loss\":\"log-l3\"");
    auto refusedLoss = jobFromSpec(badLoss);
    ASSERT_FALSE(refusedLoss.hasValue());
    EXPECT_NE(refusedLoss.status().message().find("loss"), std::string::npos) << refusedLoss.status().message();
    // The structural term's weight travels too, range-checked (0..10): "0.05…" made "10.05…" is refused.
    auto badWeight = *spec;
    const size_t weight = badWeight.paramsJson.find("\"gradient_weight\":0.05");
    ASSERT_NE(weight, std::string::npos) << spec->paramsJson;
    badWeight.paramsJson.insert(weight + 18, "1");
    auto refusedWeight = jobFromSpec(badWeight);
    ASSERT_FALSE(refusedWeight.hasValue()) << badWeight.paramsJson;
    EXPECT_NE(refusedWeight.status().message().find("gradient_weight"), std::string::npos)
        << refusedWeight.status().message();
}

// Data parallel (ml/dist/, ranks as threads over Gloo on loopback): 2 ranks of 2 crops equal one process of 4
// (||w2 - w1|| / ||w1|| over every weight), and only rank 0 writes. On DIS pairs: on the refined flow's, AdamW's
// normalised steps lift the float reordering of two half-batch means to 3.5e-6, which would hide less. With the
// plain L2 loss the runs agree to 1e-6; with the default per-crop log loss the same reordering reached 1.5e-6
// (measured), so it is held to 5e-6.
TEST(NeuralRenderer, TwoRanksOfTwoCropsEqualOneProcessOfFour) {
    const std::string dir = waft::test::tempDir("renderer-ranks");
    ASSERT_FALSE(writeGlidingSquareClip(dir, "a", 24, 3.0f, 5).empty());
    for (const auto& [loss, tolerance] : {std::pair{RendererLoss::L2, 1e-6}, std::pair{RendererLoss::LogL2, 5e-6}}) {
        const std::string name = rendererLossName(loss);
        Progress progress;
        TrainRendererParams whole = tinyRun(4);
        whole.pairs.flow = FlowMethod::Dis;
        whole.loss = loss;
        TrainRendererJob single(dir, dir + "/one-" + name + ".safetensors", whole);
        ASSERT_TRUE(single.run(progress, CancelToken()).isOk());
        const int fd = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        socklen_t length = sizeof addr;
        bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
        close(fd);
        std::vector<Status> results(2);
        std::vector<std::thread> ranks;
        for (int r = 0; r < 2; ++r)
            ranks.emplace_back([&, r] {
                dist::DistributedEnv env;
                env.enabled = true;
                env.rank = r;
                env.worldSize = 2;
                env.masterPort = ntohs(addr.sin_port);
                env.timeoutSeconds = 60;
                auto communicator = dist::joinRun(env, {prior::ComputeDevice::Cpu});
                if (!communicator) {
                    results[size_t(r)] = communicator.status();
                    return;
                }
                TrainRendererParams half = whole;
                half.run.batch = 2;
                TrainRendererJob job(dir, dir + "/two-" + name + ".safetensors", half);
                job.joinRun(*communicator);
                Progress quiet;
                results[size_t(r)] = job.run(quiet, CancelToken());
            });
        for (std::thread& t : ranks) t.join();
        if (results[0].code() == StatusCode::Unsupported) GTEST_SKIP() << results[0].message();
        for (const Status& s : results) ASSERT_TRUE(s.isOk()) << s.message();
        auto a = loadNeuralRenderer(dir + "/one-" + name + ".safetensors");
        auto b = loadNeuralRenderer(dir + "/two-" + name + ".safetensors");
        ASSERT_TRUE(a.hasValue() && b.hasValue());
        double diff = 0.0, norm = 0.0, moved = 0.0;
        auto pb = (*b)->named_parameters();
        NeuralRenderer fresh = dist::seededModel(
            tinyRun(4).run.seed, [] { return NeuralRenderer(rendererPreset(prior::ModelPreset::Tiny)); });
        auto pf = fresh->named_parameters();
        for (const auto& p : (*a)->named_parameters()) {
            diff += (p.value() - pb[p.key()]).to(torch::kFloat64).pow(2).sum().item<double>();
            norm += p.value().to(torch::kFloat64).pow(2).sum().item<double>();
            moved = std::max(moved, double(maxDiff(p.value(), pf[p.key()])));
        }
        EXPECT_LT(std::sqrt(diff / norm), tolerance) << name;
        EXPECT_GT(moved, 1e-4) << name;  // training moved the weights: the comparison can fail
    }
}

// Hostile renderer files are refused in one line before a module is built or a tensor used.
TEST(NeuralRenderer, HostileRendererFilesAreOneLine) {
    const std::string dir = waft::test::tempDir("renderer-hostile");
    const auto refused = [](const std::string& path, const std::string& needle) {
        auto r = loadNeuralRenderer(path);
        ASSERT_FALSE(r.hasValue()) << path;
        EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
        EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
    };
    { std::ofstream(dir + "/garbage.safetensors") << "not a safetensors file at all"; }
    refused(dir + "/garbage.safetensors", "garbage.safetensors");
    NeuralRenderer model(rendererPreset(prior::ModelPreset::Tiny));
    ASSERT_TRUE(prior::saveModel(*model, "vae", rendererConfigJson(model->config), dir + "/kind.safetensors").isOk());
    refused(dir + "/kind.safetensors", "expected 'renderer'");
    ASSERT_TRUE(prior::saveModel(*model, "renderer", R"({"features":[8,16,24,32,40,48],"synthesis":[8,8,8,8,8,8]})",
                                 dir + "/levels.safetensors")
                    .isOk());
    refused(dir + "/levels.safetensors", "features");
    ASSERT_TRUE(prior::saveModel(*model, "renderer", R"({"features":[512,512,512],"synthesis":[512,100000,512]})",
                                 dir + "/wide.safetensors")
                    .isOk());
    refused(dir + "/wide.safetensors", "synthesis");
    ASSERT_TRUE(prior::saveModel(*model, "renderer", R"({"features":[512,512,512],"synthesis":[512,512,512]})",
                                 dir + "/big.safetensors")
                    .isOk());
    refused(dir + "/big.safetensors", "8 M parameters");
    ASSERT_TRUE(
        prior::saveModel(*model, "renderer", R"({"features":[8,16],"synthesis":[16]})", dir + "/lengths.safetensors")
            .isOk());
    refused(dir + "/lengths.safetensors", "as many levels");  // each field in range, inconsistent together
    ASSERT_TRUE(prior::saveModel(*model, "renderer", R"({"features":[8,-16,24],"synthesis":[16,24,32]})",
                                 dir + "/negative.safetensors")
                    .isOk());
    refused(dir + "/negative.safetensors", "features");  // within every field's range, over the budget
    ASSERT_TRUE(
        prior::saveModel(*model, "renderer", R"({"features":[8,16],"synthesis":[16,24]})", dir + "/shape.safetensors")
            .isOk());
    refused(dir + "/shape.safetensors", "shape.safetensors");
    ASSERT_TRUE(prior::saveModel(*model, "renderer",
                                 R"({"features":[8,16,24],"synthesis":[16,24,32],"learned_importance":"yes"})",
                                 dir + "/flag.safetensors")
                    .isOk());
    refused(dir + "/flag.safetensors", "learned_importance");
    // A renderer written before the learned importance existed has neither the flag nor its tensors: it loads as
    // it was trained, without one.
    NeuralRendererConfig before = rendererPreset(prior::ModelPreset::Tiny);
    before.learnedImportance = false;
    NeuralRenderer old(before);
    ASSERT_TRUE(prior::saveModel(*old, "renderer", R"({"features":[8,16,24],"synthesis":[16,24,32]})",
                                 dir + "/before.safetensors")
                    .isOk());
    auto loaded = loadNeuralRenderer(dir + "/before.safetensors");
    ASSERT_TRUE(loaded.hasValue()) << loaded.status().message();
    EXPECT_FALSE((*loaded)->config.learnedImportance);
    // Whereas the flag without its tensors is a file missing a layer.
    ASSERT_TRUE(
        prior::saveModel(*old, "renderer", rendererConfigJson(model->config), dir + "/missing.safetensors").isOk());
    refused(dir + "/missing.safetensors", "importance");
    {
        torch::NoGradGuard noGrad;
        model->named_parameters()["out.weight"].fill_(NAN);
    }
    ASSERT_TRUE(saveNeuralRenderer(model, dir + "/nan.safetensors").isOk());
    refused(dir + "/nan.safetensors", "out.weight");
}

// The optional perceptual term reads the user's VGG16 file by torchvision's names (a full VGG16's deeper layers
// and classifier are ignored), is zero for equal images and passes gradients; a file without a needed layer is
// one line naming it; a training run takes it.
TEST(NeuralRenderer, PerceptualTermFromTheUsersVgg16) {
    const std::string dir = waft::test::tempDir("renderer-vgg");
    torch::manual_seed(3);
    Vgg16Features vgg;
    {
        torch::nn::Module full;  // what a converted torchvision vgg16 holds: more layers and a classifier
        auto features = full.register_module("features", std::make_shared<torch::nn::Module>());
        const auto convs = vgg->named_children()["features"]->named_children();
        for (const auto& c : convs) features->register_module(c.key(), c.value());
        features->register_module("17", torch::nn::Conv2d(torch::nn::Conv2dOptions(256, 512, 3)));
        full.register_module("classifier", torch::nn::Linear(8, 4));
        ASSERT_TRUE(prior::saveModel(full, "vgg16", "{}", dir + "/vgg16.safetensors").isOk());
        torch::nn::Module partial;
        auto few = partial.register_module("features", std::make_shared<torch::nn::Module>());
        for (const auto& c : convs)
            if (c.key() != "14") few->register_module(c.key(), c.value());
        ASSERT_TRUE(prior::saveModel(partial, "vgg16", "{}", dir + "/partial.safetensors").isOk());
    }
    auto loaded = loadVgg16Features(dir + "/vgg16.safetensors", torch::kCPU);
    ASSERT_TRUE(loaded.hasValue()) << loaded.status().message();
    const torch::Tensor a = torch::rand({2, 3, 32, 32}).requires_grad_(true), b = torch::rand({2, 3, 32, 32});
    EXPECT_EQ((*loaded)->perceptualLoss(b, b).item<float>(), 0.0f);
    const torch::Tensor loss = (*loaded)->perceptualLoss(a, b);
    EXPECT_GT(loss.item<float>(), 0.0f);
    loss.backward();
    EXPECT_GT(a.grad().abs().sum().item<float>(), 0.0f);
    auto partial = loadVgg16Features(dir + "/partial.safetensors", torch::kCPU);
    ASSERT_FALSE(partial.hasValue());
    EXPECT_NE(partial.status().message().find("features.14.weight"), std::string::npos) << partial.status().message();

    ASSERT_FALSE(writeGlidingSquareClip(dir, "a", 12, 3.0f, 5).empty());
    TrainRendererParams run = tinyRun(3);
    run.vggPath = dir + "/vgg16.safetensors";
    TrainRendererJob job(dir, dir + "/renderer.safetensors", run);
    Progress progress;
    const Status s = job.run(progress, CancelToken());
    EXPECT_TRUE(s.isOk()) << s.message();
    run.vggPath = dir + "/partial.safetensors";
    TrainRendererJob bad(dir, dir + "/bad.safetensors", run);
    EXPECT_FALSE(bad.run(progress, CancelToken()).isOk());
    EXPECT_FALSE(std::filesystem::exists(dir + "/bad.safetensors"));
}
