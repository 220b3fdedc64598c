// The motion prior (GID): normalisation, models, sampler, training, files. Plain GoogleTest, no Qt; tiny models on
// the CPU.
#include "PriorTestModels.h"
#include "ml/prior/Compute.h"
#include "ml/prior/DdimSampler.h"
#include "ml/prior/FrequencyNormalization.h"
#include "ml/prior/LoopLoss.h"
#include "ml/prior/ModelCache.h"
#include "ml/prior/ModelFile.h"
#include "ml/prior/ModelMemory.h"
#include "ml/prior/MotionModels.h"
#include "ml/prior/PriorTraining.h"

#include <ATen/autocast_mode.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include "GTestSupport.h"
#include "TestSupport.h"
#include "core/Runtime.h"
#include "io/SafetensorsFile.h"
#include "io/SafetensorsWriter.h"

using namespace waft::engine;
using namespace waft::engine::prior;
using waft::test::contains;
using waft::test::randomize;
using waft::test::runUNet;
using waft::test::tinyUNet;
using waft::test::tinyVae;

namespace {
const auto* const kRuntime = ::testing::AddGlobalTestEnvironment(new waft::test::RuntimeEnvironment);
}  // namespace

// GID eq. 4: the scale is the 95th percentile per band; normalise then denormalise is exact.
TEST(MotionPrior, NormalizationRoundTrip) {
    SpectralVolume v = SpectralVolume::zeros(10, 10, 2);
    for (size_t i = 0; i < 400; ++i) v.plane(0, 0)[i] = float(i % 100) * (i % 2 ? 1.0f : -1.0f);
    for (size_t i = 0; i < 400; ++i) v.plane(1, 0)[i] = 0.01f * float(i);
    const std::vector<float> scales = fitFrequencyScales({&v});
    ASSERT_EQ(scales.size(), size_t(2));
    // 400 values per band; nearest rank: the 380th smallest.
    EXPECT_FUZZY_EQ(scales[0], 94.0f);  // 0..99, four times each: ranks 377-380 hold 94
    EXPECT_LT(std::abs(scales[1] - 0.01f * 379.0f), 1e-4f);
    torch::manual_seed(1);
    const torch::Tensor x = torch::randn({3, 2, 4, 6, 5}) * 7.0;
    const torch::Tensor y = normalizeSpectral(x, scales);
    EXPECT_TRUE(torch::allclose(denormalizeSpectral(y, scales), x, 1e-5, 1e-5));
    EXPECT_LT(y.abs().max().item<float>(), x.abs().max().item<float>());  // compressed
}

TEST(MotionPrior, VaeShapes) {
    MotionVae vae(tinyVae());
    const auto [mean, logvar] = vae->encode(torch::randn({3, 4, 16, 24}));
    EXPECT_EQ(mean.sizes(), torch::IntArrayRef({3, 4, 8, 12}));
    EXPECT_EQ(logvar.sizes(), mean.sizes());
    EXPECT_EQ(vae->decode(mean).sizes(), torch::IntArrayRef({3, 4, 16, 24}));
    EXPECT_EQ(vae->downsampleFactor(), 2);
}

TEST(MotionPrior, UnetShapes) {
    DenoiserUNet net(tinyUNet(true));
    const torch::Tensor x = torch::randn({2 * 4, 4, 8, 12});
    EXPECT_EQ(runUNet(net, x, 4).sizes(), x.sizes());
    EXPECT_FALSE(net->frequencyAttentionParameters().empty());
    EXPECT_TRUE(DenoiserUNet(tinyUNet(false))->frequencyAttentionParameters().empty());
}

// GID §4.2: without frequency attention each slice is denoised alone; a fresh stage-2 network (zero-init
// attention outputs) still is; once its frequency attention is trained, a change in one slice reaches all.
TEST(MotionPrior, FrequencyAttentionCouplesSlicesOnlyAfterStage2) {
    const int k = 4;
    torch::manual_seed(3);
    const torch::Tensor x = torch::randn({2 * k, 4, 8, 8});
    torch::Tensor changed = x.clone();
    changed[0] += 1.0;  // sample 0, slice 0
    const auto othersChanged = [&](DenoiserUNet& net) {
        torch::NoGradGuard noGrad;
        net->eval();
        const torch::Tensor a = runUNet(net, x, k), b = runUNet(net, changed, k);
        if (torch::allclose(a[0], b[0])) return -1;  // the changed slice itself must always respond
        return torch::allclose(a.slice(0, 1, k), b.slice(0, 1, k), 0.0, 1e-7) ? 0 : 1;
    };
    DenoiserUNet stage1(tinyUNet(false));
    randomize(*stage1, 5);
    EXPECT_EQ(othersChanged(stage1), 0);
    DenoiserUNet fresh(tinyUNet(true));
    randomize(*fresh, 5);
    for (auto& p : fresh->named_parameters())  // stage-2 start: attention outputs zero
        if (p.key().find("freq_attn") != std::string::npos && p.key().find(".out.") != std::string::npos)
            p.value().detach().zero_();
    EXPECT_EQ(othersChanged(fresh), 0);
    DenoiserUNet trained(tinyUNet(true));
    randomize(*trained, 5);
    EXPECT_EQ(othersChanged(trained), 1);
    // Slices of the other sample never see sample 0.
    torch::NoGradGuard noGrad;
    EXPECT_TRUE(torch::allclose(runUNet(trained, x, k).slice(0, k), runUNet(trained, changed, k).slice(0, k)));
}

// With the exact denoiser of a point distribution at x*, DDIM lands on x* (deterministic or not).
TEST(MotionPrior, DdimWithAnalyticDenoiser) {
    const NoiseSchedule schedule = NoiseSchedule::scaledLinear();
    torch::manual_seed(7);
    const torch::Tensor target = torch::randn({2, 4, 5, 5});
    const Denoiser exact = [&](const torch::Tensor& x, int64_t t, bool) {
        const double a = schedule.alphaBar(t);
        return (x - std::sqrt(a) * target) / std::sqrt(1.0 - a);
    };
    for (float eta : {0.0f, 0.7f}) {
        SamplerParams params;
        params.steps = 50;
        params.eta = eta;
        params.guidance = 0.0f;
        const torch::Tensor sample = ddimSample(exact, {2, 4, 5, 5}, params, schedule);
        const float error = (sample - target).abs().max().item<float>();
        EXPECT_LT(error, 1e-4f) << "eta " << eta;
    }
}

// v-prediction: the training target and the noise recovered from it invert each other, and DDIM driven by
// the exact v of a point distribution lands on the point like the epsilon form does.
TEST(MotionPrior, VelocityPrediction) {
    torch::manual_seed(3);
    const torch::Tensor x0 = torch::randn({3, 4, 5, 5}), noise = torch::randn({3, 4, 5, 5});
    const double a = 0.37;
    const torch::Tensor xt = std::sqrt(a) * x0 + std::sqrt(1.0 - a) * noise;
    const torch::Tensor v = predictionTarget(Prediction::Velocity, x0, noise, torch::full({}, a, torch::kFloat32));
    EXPECT_TRUE(torch::allclose(epsilonFrom(Prediction::Velocity, v, xt, a), noise, 1e-5, 1e-5));
    EXPECT_FALSE(torch::allclose(v, noise));
    EXPECT_TRUE(torch::equal(predictionTarget(Prediction::Epsilon, x0, noise, torch::full({}, a)), noise));

    const NoiseSchedule schedule = NoiseSchedule::scaledLinear();
    const torch::Tensor target = torch::randn({2, 4, 5, 5});
    const Denoiser exactV = [&](const torch::Tensor& x, int64_t t, bool) {
        const double ab = schedule.alphaBar(t);
        const torch::Tensor eps = (x - std::sqrt(ab) * target) / std::sqrt(1.0 - ab);
        const torch::Tensor velocity = std::sqrt(ab) * eps - std::sqrt(1.0 - ab) * target;
        return epsilonFrom(Prediction::Velocity, velocity, x, ab);
    };
    SamplerParams params;
    params.steps = 50;
    params.guidance = 0.0f;
    EXPECT_LT((ddimSample(exactV, {2, 4, 5, 5}, params, schedule) - target).abs().max().item<float>(), 1e-4f);
}

// A stop request ends sampling at the next step with no result (how a cancelled predict job returns).
TEST(MotionPrior, SamplerStops) {
    int calls = 0;
    const Denoiser counting = [&](const torch::Tensor& x, int64_t, bool) {
        ++calls;
        return 0.1 * x;
    };
    SamplerParams params;
    params.steps = 40;
    params.guidance = 0.0f;
    const torch::Tensor stopped =
        ddimSample(counting, {1, 4, 4, 4}, params, NoiseSchedule::scaledLinear(), {}, [&] { return calls >= 3; });
    EXPECT_FALSE(stopped.defined());
    EXPECT_EQ(calls, 3);
    EXPECT_TRUE(
        ddimSample(counting, {1, 4, 4, 4}, params, NoiseSchedule::scaledLinear(), {}, [] { return false; }).defined());
}

// CFG with w = 0 is exactly the conditional prediction; w > 0 is not.
TEST(MotionPrior, GuidanceZeroIsConditional) {
    const NoiseSchedule schedule = NoiseSchedule::scaledLinear();
    const Denoiser both = [](const torch::Tensor& x, int64_t, bool conditional) {
        return conditional ? 0.1 * x : -0.3 * x;
    };
    const Denoiser conditionalOnly = [](const torch::Tensor& x, int64_t, bool) { return 0.1 * x; };
    SamplerParams params;
    params.steps = 20;
    params.seed = 11;
    params.guidance = 0.0f;
    EXPECT_TRUE(torch::equal(ddimSample(both, {1, 4, 6, 6}, params, schedule),
                             ddimSample(conditionalOnly, {1, 4, 6, 6}, params, schedule)));
    params.guidance = 1.75f;
    EXPECT_FALSE(torch::allclose(ddimSample(both, {1, 4, 6, 6}, params, schedule),
                                 ddimSample(conditionalOnly, {1, 4, 6, 6}, params, schedule)));
}

// Motion self-guidance (GID eq. 5) lowers the loop loss of a sample from the same seed.
TEST(MotionPrior, SelfGuidanceReducesLoopLoss) {
    const NoiseSchedule schedule = NoiseSchedule::scaledLinear();
    const std::vector<float> freqs = {0.21f, 0.43f, 0.67f};  // not harmonics of the 149-frame window
    const Denoiser denoiser = [](const torch::Tensor& x, int64_t, bool) { return 0.2 * x; };
    const GuidanceLoss loss = [&](const torch::Tensor& x0) { return loopLoss(x0[0], freqs, 30.0f, 150); };
    SamplerParams params;
    params.steps = 25;
    params.seed = 4;
    params.guidance = 0.0f;
    params.selfGuidance = 0.0f;
    const torch::Tensor plain = ddimSample(denoiser, {1, 3, 4, 8, 8}, params, schedule, loss);
    params.selfGuidance = 200.0f;
    const torch::Tensor guided = ddimSample(denoiser, {1, 3, 4, 8, 8}, params, schedule, loss);
    const float before = loss(plain).item<float>(), after = loss(guided).item<float>();
    std::printf("loop loss: %.4f without, %.4f with self-guidance\n", before, after);
    EXPECT_LT(after, 0.5f * before);
}

// Saved and reloaded models give bit-identical outputs.
TEST(MotionPrior, SaveLoadBitIdentical) {
    const std::string dir = waft::test::tempDir("model");
    DenoiserUNet net(tinyUNet(true));
    randomize(*net, 9);
    net->eval();
    ASSERT_TRUE(saveDenoiser(net, dir + "/unet.safetensors").isOk());
    auto loaded = loadDenoiser(dir + "/unet.safetensors");
    ASSERT_TRUE(loaded.hasValue()) << loaded.status().message();
    torch::NoGradGuard noGrad;
    const torch::Tensor x = torch::randn({8, 4, 8, 8});
    EXPECT_TRUE(torch::equal(runUNet(net, x, 4), runUNet(*loaded, x, 4)));
    EXPECT_TRUE((*loaded)->config.prediction == Prediction::Velocity);
    UNetConfig epsilonConfig = tinyUNet(false);
    epsilonConfig.prediction = Prediction::Epsilon;
    DenoiserUNet epsilonNet(epsilonConfig);
    ASSERT_TRUE(saveDenoiser(epsilonNet, dir + "/eps.safetensors").isOk());
    EXPECT_TRUE((*loadDenoiser(dir + "/eps.safetensors"))->config.prediction == Prediction::Epsilon);
    MotionVae vae(tinyVae());
    randomize(*vae, 10);
    vae->eval();
    ASSERT_TRUE(saveMotionVae(vae, dir + "/vae.safetensors").isOk());
    auto vae2 = loadMotionVae(dir + "/vae.safetensors");
    ASSERT_TRUE(vae2.hasValue());
    const torch::Tensor y = torch::randn({2, 4, 8, 8});
    EXPECT_TRUE(torch::equal(vae->decode(vae->encode(y).first), (*vae2)->decode((*vae2)->encode(y).first)));
}

// A model is read once per session while its file is unchanged; a changed file is read again; release
// frees them.
TEST(MotionPrior, ModelCacheLoadsOncePerFileVersion) {
    const std::string dir = waft::test::tempDir("cache");
    const std::string path = dir + "/vae.safetensors";
    MotionVae vae(tinyVae());
    randomize(*vae, 3);
    ASSERT_TRUE(saveMotionVae(vae, path).isOk());
    ModelCache& cache = ModelCache::shared();
    cache.clear();
    auto a = cache.vae(path);
    auto b = cache.vae(path);
    ASSERT_TRUE(a.hasValue() && b.hasValue());
    EXPECT_EQ(a->ptr().get(), b->ptr().get());  // the same module: not read twice
    EXPECT_EQ(cachedModelCount(), size_t(1));
    randomize(*vae, 4);
    std::filesystem::remove(path);
    ASSERT_TRUE(saveMotionVae(vae, path).isOk());  // a new file (new inode and time)
    auto c = cache.vae(path);
    ASSERT_TRUE(c.hasValue() && c->ptr().get() != a->ptr().get());
    EXPECT_TRUE(torch::equal((*c)->parameters()[0], vae->parameters()[0]));
    EXPECT_EQ(cachedModelCount(), size_t(1));  // the old version was dropped
    releaseCachedModels();
    EXPECT_EQ(cachedModelCount(), size_t(0));
    EXPECT_FALSE(cache.vae(dir + "/missing.safetensors").hasValue());
}

TEST(MotionPrior, VaeLossAndEma) {
    const torch::Tensor x = torch::randn({2, 4, 8, 8});
    const torch::Tensor zero = torch::zeros({2, 4, 4, 4});
    const VaeLoss perfect = vaeLoss(x, x, zero, zero);
    EXPECT_FUZZY_EQ(perfect.total.item<float>(), 0.0f);
    const VaeLoss off = vaeLoss(x + 1.0, x, zero + 2.0, zero);
    EXPECT_LT(std::abs(off.l1.item<float>() - 1.0f), 1e-6f);
    EXPECT_FUZZY_EQ(off.gradient.item<float>(), 0.0f);        // a constant offset has no gradient
    EXPECT_LT(std::abs(off.kl.item<float>() - 2.0f), 1e-6f);  // 0.5 * mean(mu^2) with mu = 2
    MotionVae vae(tinyVae());
    EmaWeights ema(*vae, 0.9f);
    const torch::Tensor before = ema.shadow().begin()->second.clone();
    {
        torch::NoGradGuard noGrad;
        for (auto& p : vae->parameters()) p.add_(1.0);
    }
    ema.update(*vae);  // first update: warm-up decay min(0.9, 1/10) = 0.1
    EXPECT_TRUE(torch::allclose(ema.shadow().begin()->second, before + 0.9, 1e-6, 1e-6));
    for (int n = 1; n < 200; ++n) ema.update(*vae);  // then it converges onto the (unchanging) weights
    EXPECT_TRUE(torch::allclose(ema.shadow().begin()->second, before + 1.0, 1e-5, 1e-5));
}

// Real training on tiny data: the VAE's loss falls by more than half, the denoiser's clearly.
TEST(MotionPrior, TrainersLearn) {
    torch::manual_seed(21);
    const torch::Tensor slices =
        torch::nn::functional::interpolate(torch::randn({16, 4, 4, 4}), torch::nn::functional::InterpolateFuncOptions()
                                                                            .size(std::vector<int64_t>{16, 16})
                                                                            .mode(torch::kBilinear)
                                                                            .align_corners(false));
    TrainParams params;
    params.learningRate = 3e-3f;
    VaeTrainer vae(MotionVae(tinyVae()), params);
    double first = 0, last = 0;
    for (int step = 0; step < 120; ++step) {
        const double loss = vae.step(slices)->total.item<double>();
        if (step < 5) first += loss / 5;
        if (step >= 115) last += loss / 5;
    }
    std::printf("VAE loss %.4f -> %.4f\n", first, last);
    EXPECT_LT(last, 0.5 * first);

    // Latents whose pattern is set by the condition: the denoiser can learn it.
    const torch::Tensor conditions = torch::randn({4, 4, 1, 1}).expand({4, 4, 8, 8}).contiguous();
    const torch::Tensor latents = conditions.unsqueeze(1).expand({4, 4, 4, 8, 8}).contiguous() * 0.8;
    TrainParams dparams;
    dparams.learningRate = 2e-3f;
    dparams.seed = 3;
    DenoiserTrainer denoiser(DenoiserUNet(tinyUNet(false)), dparams, 1);
    first = last = 0;
    for (int step = 0; step < 150; ++step) {
        const double loss = denoiser.step(latents, conditions)->item<double>();
        if (step < 20) first += loss / 20;
        if (step >= 130) last += loss / 20;
    }
    std::printf("denoiser loss %.4f -> %.4f\n", first, last);
    EXPECT_LT(last, 0.8 * first);
}

// Device and precision: what resolves to what, bf16 autocast (on the CPU here) stays close to fp32, restores
// the autocast state, and trains with a finite loss; fp16 and a missing CUDA device are clear errors.
TEST(MotionPrior, ComputeOptions) {
    const auto resolve = [](ComputeDevice d, Precision p, bool training) { return resolveCompute({d, p}, training); };
    const bool cuda = torch::cuda::is_available();
    EXPECT_TRUE(resolve(ComputeDevice::Cpu, Precision::Auto, true)->device.is_cpu());
    EXPECT_FALSE(resolve(ComputeDevice::Cpu, Precision::Auto, true)->autocast.has_value());
    EXPECT_TRUE(*resolve(ComputeDevice::Cpu, Precision::Bf16, true)->autocast == at::kBFloat16);
    EXPECT_TRUE(contains(resolve(ComputeDevice::Cpu, Precision::Fp16, false).status().message(), "needs CUDA"));
    EXPECT_EQ(resolve(ComputeDevice::Auto, Precision::Auto, false)->device.is_cuda(), cuda);
    if (!cuda)
        EXPECT_TRUE(contains(resolve(ComputeDevice::Cuda, Precision::Auto, false).status().message(), "no CUDA"));

    DenoiserUNet net(tinyUNet(true));
    randomize(*net, 5);
    net->eval();
    torch::NoGradGuard noGrad;
    const torch::Tensor x = torch::randn({8, 4, 8, 8});
    const torch::Tensor full = runUNet(net, x, 4);
    torch::Tensor half;
    {
        AutocastScope scope(*resolve(ComputeDevice::Cpu, Precision::Bf16, false));
        EXPECT_TRUE(at::autocast::is_cpu_enabled());
        half = runUNet(net, x, 4).to(torch::kFloat32);
    }
    EXPECT_FALSE(at::autocast::is_cpu_enabled());
    const float relative = ((half - full).norm() / full.norm()).item<float>();
    std::printf("bf16 vs fp32 UNet output: relative difference %.4f\n", relative);
    EXPECT_TRUE(relative > 0.0f && relative < 0.05f) << "relative " << relative;  // bf16 did run, and stayed close
}

TEST(MotionPrior, Bf16TrainingStep) {
    TrainParams params;
    params.learningRate = 1e-3f;
    params.compute = *resolveCompute({ComputeDevice::Cpu, Precision::Bf16}, true);
    DenoiserTrainer trainer(DenoiserUNet(tinyUNet(false)), params, 1);
    const torch::Tensor before = trainer.model()->convIn->weight.clone();
    const float loss = trainer.step(torch::randn({2, 4, 4, 8, 8}), torch::randn({2, 4, 8, 8}))->item<float>();
    EXPECT_TRUE(std::isfinite(loss) && loss > 0.0f) << "loss " << loss;
    EXPECT_FALSE(torch::equal(before, trainer.model()->convIn->weight));
    EXPECT_TRUE(trainer.model()->convIn->weight.dtype() == torch::kFloat32);  // weights stay fp32
    VaeTrainer vae(MotionVae(tinyVae()), params);
    EXPECT_TRUE(std::isfinite(vae.step(torch::randn({4, 4, 16, 16}))->total.item<float>()));
}

// Resume is exact: a trainer restored from a training state takes the same next step as the one that saved it
// (same batch, same random numbers), bit for bit; restoring the weights alone (fresh AdamW moments) does not.
TEST(MotionPrior, TrainingStateResumesExactly) {
    const std::string dir = waft::test::tempDir("state");
    torch::manual_seed(12);
    const torch::Tensor batch = torch::randn({4, 4, 16, 16});
    TrainParams params;
    params.learningRate = 1e-3f;
    VaeTrainer original(MotionVae(tinyVae()), params);
    for (int step = 0; step < 3; ++step) ASSERT_TRUE(original.step(batch).hasValue());
    const std::string path = dir + "/vae.train-state.safetensors";
    ASSERT_TRUE(saveTrainingState(*original.model(), original.optimizer(), 3, path).isOk());
    EXPECT_EQ(trainingStatePath(dir + "/vae.safetensors"), path);

    VaeTrainer restored(MotionVae(tinyVae()), params);
    auto step = loadTrainingState(*restored.model(), restored.optimizer(), path);
    ASSERT_TRUE(step.hasValue()) << step.status().message();
    EXPECT_EQ(*step, 3);
    restored.setStepIndex(*step);
    VaeTrainer weightsOnly(MotionVae(tinyVae()), params);
    weightsOnly.setStepIndex(3);
    {
        torch::NoGradGuard noGrad;
        for (auto& p : weightsOnly.model()->named_parameters())
            p.value().copy_(original.model()->named_parameters()[p.key()]);
    }
    for (VaeTrainer* t : {&original, &restored, &weightsOnly}) ASSERT_TRUE(t->step(batch).hasValue());
    const auto same = [&](VaeTrainer& a) {
        for (const auto& p : original.model()->named_parameters())
            if (!torch::equal(p.value(), a.model()->named_parameters()[p.key()])) return false;
        return true;
    };
    EXPECT_TRUE(same(restored));
    EXPECT_FALSE(same(weightsOnly));
    // Not a training state, or one for another model: one clear line each.
    EXPECT_FALSE(loadTrainingState(*restored.model(), restored.optimizer(), dir + "/missing.safetensors").hasValue());
    DenoiserTrainer other(DenoiserUNet(tinyUNet(false)), params, 1);
    const auto wrong = loadTrainingState(*other.model(), other.optimizer(), path);
    EXPECT_TRUE(!wrong.hasValue() && wrong.status().message().find('\n') == std::string::npos)
        << wrong.status().message();
}

// GID §4.2 stage 2: the UNet is frozen; only the frequency-attention layers change.
TEST(MotionPrior, Stage2TrainsOnlyFrequencyAttention) {
    DenoiserUNet net(tinyUNet(true));
    randomize(*net, 12);
    std::map<std::string, torch::Tensor> before;
    for (const auto& p : net->named_parameters()) before[p.key()] = p.value().detach().clone();
    TrainParams params;
    params.learningRate = 1e-2f;
    DenoiserTrainer trainer(net, params, 2);
    ASSERT_TRUE(trainer.step(torch::randn({2, 4, 4, 8, 8}), torch::randn({2, 4, 8, 8})).hasValue());
    int changedAttention = 0;
    for (const auto& p : net->named_parameters()) {
        const bool changed = !torch::equal(p.value(), before[p.key()]);
        if (p.key().find("freq_attn") == std::string::npos)
            EXPECT_FALSE(changed) << p.key();
        else
            changedAttention += changed;
    }
    EXPECT_GT(changedAttention, 0);
}

TEST(MotionPrior, WrongOrTruncatedModelFiles) {
    const std::string dir = waft::test::tempDir("badmodel");
    DenoiserUNet net(tinyUNet(false));
    ASSERT_TRUE(saveDenoiser(net, dir + "/unet.safetensors").isOk());
    MotionVae vae(tinyVae());
    ASSERT_TRUE(saveMotionVae(vae, dir + "/vae.safetensors").isOk());
    EXPECT_TRUE(contains(loadDenoiser(dir + "/vae.safetensors").status().message(), "expected 'unet'"));
    EXPECT_TRUE(contains(loadMotionVae(dir + "/missing.safetensors").status().message(), "cannot open"));
    // Truncated.
    std::ifstream in(dir + "/unet.safetensors", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    std::ofstream(dir + "/cut.safetensors", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
    EXPECT_TRUE(contains(loadDenoiser(dir + "/cut.safetensors").status().message(), "truncated"));
    // Config that does not match the weights (a wider model than the tensors hold).
    auto file = SafetensorsFile::open(dir + "/unet.safetensors");
    ASSERT_TRUE(file.hasValue());
    SafetensorsWriter writer;
    for (const auto& [name, info] : file->tensors())
        ASSERT_TRUE(writer.addTensor(name, info.dtype, info.shape, file->data(info), info.end - info.begin).isOk())
            << name;
    UNetConfig wider = tinyUNet(false);
    wider.modelChannels = 16;
    writer.setMetadata("format", "waft-model");
    writer.setMetadata("kind", "unet");
    writer.setMetadata("config", R"({"model_channels": 16, "channel_mults": [1, 2], "res_blocks_per_level": 1,
            "attention_levels": [1], "heads": 2, "groups": 4, "max_frequencies": 4, "latent_channels": 4,
            "condition_channels": 4, "frequency_attention": false})");
    ASSERT_TRUE(writer.save(dir + "/wrongshape.safetensors").isOk());
    EXPECT_TRUE(contains(loadDenoiser(dir + "/wrongshape.safetensors").status().message(), "has shape"));
    // Files from before the prediction key are epsilon models; an unknown prediction type is refused.
    const std::string tinyConfig = R"({"model_channels": 8, "channel_mults": [1, 2], "res_blocks_per_level": 1,
            "attention_levels": [1], "heads": 2, "groups": 4, "max_frequencies": 4, "latent_channels": 4,
            "condition_channels": 4, "frequency_attention": false)";
    writer.setMetadata("config", tinyConfig + "}");
    ASSERT_TRUE(writer.save(dir + "/old.safetensors").isOk());
    auto old = loadDenoiser(dir + "/old.safetensors");
    ASSERT_TRUE(old.hasValue()) << old.status().message();
    EXPECT_TRUE((*old)->config.prediction == Prediction::Epsilon);
    writer.setMetadata("config", tinyConfig + R"(, "prediction": "x0"})");
    ASSERT_TRUE(writer.save(dir + "/x0.safetensors").isOk());
    // The refusal names the field and what it may be (core/JsonFields' wording).
    EXPECT_TRUE(contains(loadDenoiser(dir + "/x0.safetensors").status().message(),
                         "field 'prediction' must be one of epsilon, v"));
    // A scene file is not a model; an absurd config is refused before allocating.
    writer.setMetadata("config", R"({"model_channels": 100000})");
    ASSERT_TRUE(writer.save(dir + "/absurd.safetensors").isOk());
    EXPECT_TRUE(contains(loadDenoiser(dir + "/absurd.safetensors").status().message(),
                         "field 'model_channels' must be an integer in 1..8192"));
    std::ofstream(dir + "/text.safetensors") << "hello";
    EXPECT_FALSE(loadDenoiser(dir + "/text.safetensors").hasValue());
}
