// Stable Diffusion's parts in LibTorch at tiny sizes: they hold exactly the tensors SdTensors lists (so SD 1.5's
// real list, checked in tst_SdTensors, is what the real-size modules hold), a freshly inflated UNet is the image
// UNet frame by frame, the frame-attention modes see the frames they claim, CLIP is causal, and the shared
// attention and DDIM behave. GoogleTest, no Qt.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <ATen/autocast_mode.h>

#include <map>

#include "SdTestModels.h"
#include "ml/common/Attention.h"
#include "ml/common/Ddim.h"
#include "ml/sd/AutoencoderKl.h"
#include "ml/sd/ClipTextModel.h"
#include "ml/sd/SdTensors.h"
#include "ml/sd/SdUNet.h"

using namespace waft::engine;
using namespace waft::engine::sd;

namespace {

SdConfig tinyConfig() { return waft::test::tinySdConfig(); }

std::map<std::string, std::vector<int64_t>> moduleTensors(torch::nn::Module& m) {
    std::map<std::string, std::vector<int64_t>> out;
    for (const auto& p : m.named_parameters()) out[p.key()] = p.value().sizes().vec();
    for (const auto& b : m.named_buffers()) out[b.key()] = b.value().sizes().vec();
    return out;
}

std::map<std::string, std::vector<int64_t>> listed(const std::vector<TensorSpec>& specs) {
    std::map<std::string, std::vector<int64_t>> out;
    for (const TensorSpec& t : specs) out[t.name] = t.shape;
    return out;
}

// Copies every same-named tensor of `from` into `to` (the image UNet's weights into an inflated one).
void copyWeights(torch::nn::Module& from, torch::nn::Module& to) {
    torch::NoGradGuard noGrad;
    auto target = to.named_parameters();
    for (const auto& p : from.named_parameters())
        if (auto* t = target.find(p.key())) t->copy_(p.value());
}

float maxDiff(const torch::Tensor& a, const torch::Tensor& b) { return (a - b).abs().max().item<float>(); }

}  // namespace

TEST(SdModels, ModulesHoldExactlyTheListedTensors) {
    torch::manual_seed(0);
    const SdConfig c = tinyConfig();
    SdUNet image(c.unet);
    EXPECT_EQ(moduleTensors(*image), listed(unetTensors(c.unet)));
    SdUNet inflated(c.unet, InflationConfig{FrameAttention::SparseCausal, true});
    auto withTemporal = unetTensors(c.unet);
    for (const TensorSpec& t : temporalTensors(c.unet)) withTemporal.push_back(t);
    EXPECT_EQ(moduleTensors(*inflated), listed(withTemporal));
    AutoencoderKl vae(c.vae);
    EXPECT_EQ(moduleTensors(*vae), listed(vaeTensors(c.vae)));
    ClipTextModel clip(c.text);
    EXPECT_EQ(moduleTensors(*clip), listed(textEncoderTensors(c.text)));
}

// Tune-A-Video zeroes only attn_temp's output weight, so its fresh model is not the image model; Waft zeroes the
// bias too: a freshly inflated UNet (per-frame self-attention) reproduces the image UNet on every frame.
TEST(SdModels, FreshInflatedUNetIsTheImageUNetFrameByFrame) {
    torch::manual_seed(1);
    torch::NoGradGuard noGrad;
    const SdConfig c = tinyConfig();
    SdUNet image(c.unet);
    SdUNet inflated(c.unet, InflationConfig{FrameAttention::PerFrame, true});
    copyWeights(*image, *inflated);
    const int frames = 3;
    const torch::Tensor x = torch::randn({frames, 4, 8, 8});
    const torch::Tensor context = torch::randn({1, 5, 32}).expand({frames, 5, 32});
    const torch::Tensor t = torch::tensor({500});
    const torch::Tensor video = inflated->forward(x, t, context, frames);
    for (int f = 0; f < frames; ++f) {
        const torch::Tensor single = image->forward(x.narrow(0, f, 1), t, context.narrow(0, f, 1), 1);
        EXPECT_LT(maxDiff(video.narrow(0, f, 1), single), 1e-5f) << "frame " << f;
    }
    EXPECT_GT(video.abs().mean().item<float>(), 1e-3f);  // not trivially zero
}

// Which frames each mode lets a frame see, without temporal attention: sparse-causal and first-frame frames
// never depend on later frames; first-frame frames depend on frame 0 and themselves only; full sees every frame.
TEST(SdModels, FrameAttentionModesSeeTheFramesTheyClaim) {
    torch::manual_seed(2);
    torch::NoGradGuard noGrad;
    const SdConfig c = tinyConfig();
    SdUNet image(c.unet);
    const int frames = 4;
    const torch::Tensor x = torch::randn({frames, 4, 8, 8});
    torch::Tensor changed = x.clone();
    changed[3] = torch::randn({4, 8, 8});  // the last frame only
    torch::Tensor changed1 = x.clone();
    changed1[1] = torch::randn({4, 8, 8});
    const torch::Tensor context = torch::randn({frames, 5, 32});
    const torch::Tensor t = torch::tensor({300});
    const auto run = [&](FrameAttention mode, const torch::Tensor& in) {
        SdUNet net(c.unet, InflationConfig{mode, false});
        copyWeights(*image, *net);
        return net->forward(in, t, context, frames);
    };
    for (FrameAttention mode : {FrameAttention::SparseCausal, FrameAttention::FirstFrame}) {
        const torch::Tensor a = run(mode, x), b = run(mode, changed);
        EXPECT_LT(maxDiff(a.narrow(0, 0, 3), b.narrow(0, 0, 3)), 1e-6f) << frameAttentionName(mode);
        EXPECT_GT(maxDiff(a[3], b[3]), 1e-3f);
    }
    // First-frame: frame 2 does not see frame 1; sparse-causal does (its previous frame).
    EXPECT_LT(maxDiff(run(FrameAttention::FirstFrame, x)[2], run(FrameAttention::FirstFrame, changed1)[2]), 1e-6f);
    EXPECT_GT(maxDiff(run(FrameAttention::SparseCausal, x)[2], run(FrameAttention::SparseCausal, changed1)[2]), 1e-4f);
    // Full: frame 0 sees the last frame.
    EXPECT_GT(maxDiff(run(FrameAttention::Full, x)[0], run(FrameAttention::Full, changed)[0]), 1e-4f);
    // Identical frames and prompts: every mode's keys are copies of one frame's, so each is the image model.
    const torch::Tensor same = x.narrow(0, 0, 1).expand({frames, 4, 8, 8}).contiguous();
    const torch::Tensor sameContext = context.narrow(0, 0, 1).expand({frames, 5, 32}).contiguous();
    const auto runSame = [&](FrameAttention mode) {
        SdUNet net(c.unet, InflationConfig{mode, false});
        copyWeights(*image, *net);
        return net->forward(same, t, sameContext, frames);
    };
    const torch::Tensor reference = runSame(FrameAttention::PerFrame);
    for (FrameAttention mode : {FrameAttention::SparseCausal, FrameAttention::FirstFrame, FrameAttention::Full})
        EXPECT_LT(maxDiff(runSame(mode), reference), 1e-5f) << frameAttentionName(mode);
}

// Temporal attention with trained (here: random) weights mixes the frames of a clip and nothing across clips:
// two clips batched (CFG's batch) give each clip's own result, and changing one clip leaves the other alone.
TEST(SdModels, TemporalAttentionStaysWithinEachClip) {
    torch::manual_seed(7);
    torch::NoGradGuard noGrad;
    const SdConfig c = tinyConfig();
    SdUNet net(c.unet, InflationConfig{FrameAttention::SparseCausal, true});
    for (auto& p : net->named_parameters())
        if (p.key().find("attn_temp.to_out") != std::string::npos) p.value().normal_(0.0, 0.2);
    const int frames = 3;
    const torch::Tensor a = torch::randn({frames, 4, 8, 8}), b = torch::randn({frames, 4, 8, 8});
    const torch::Tensor ctx = torch::randn({frames, 5, 32});
    const torch::Tensor t = torch::tensor({200});
    const torch::Tensor alone = net->forward(a, t, ctx, frames);
    const torch::Tensor both = net->forward(torch::cat({a, b}), t, torch::cat({ctx, ctx}), frames);
    EXPECT_LT(maxDiff(both.narrow(0, 0, frames), alone), 1e-5f);
    EXPECT_LT(maxDiff(both.narrow(0, frames, frames), net->forward(b, t, ctx, frames)), 1e-5f);
    // Within a clip the frames now see each other: frame 0 changes with frame 2 (sparse-causal alone would not).
    torch::Tensor later = a.clone();
    later[2] = torch::randn({4, 8, 8});
    EXPECT_GT(maxDiff(net->forward(later, t, ctx, frames)[0], alone[0]), 1e-4f);
}

TEST(SdModels, ClipTextIsCausalAndClipSkipStopsEarlier) {
    torch::manual_seed(3);
    torch::NoGradGuard noGrad;
    const SdConfig c = tinyConfig();
    ClipTextModel clip(c.text);
    torch::Tensor ids = torch::randint(0, 100, {1, 12}, torch::kLong);
    torch::Tensor other = ids.clone();
    other[0][6] = (other[0][6].item<int64_t>() + 1) % 100;
    const torch::Tensor a = clip->forward(ids), b = clip->forward(other);
    EXPECT_EQ(a.sizes(), (std::vector<int64_t>{1, 12, 32}));
    EXPECT_LT(maxDiff(a.narrow(1, 0, 6), b.narrow(1, 0, 6)), 1e-6f);  // tokens before 6 never see it
    EXPECT_GT(maxDiff(a.narrow(1, 6, 6), b.narrow(1, 6, 6)), 1e-4f);
    EXPECT_GT(maxDiff(clip->forward(ids, 2), a), 1e-4f);
}

TEST(SdModels, VaeEncodesByItsFactorAndSlicesAgree) {
    torch::manual_seed(4);
    torch::NoGradGuard noGrad;
    const SdConfig c = tinyConfig();
    AutoencoderKl vae(c.vae);
    ASSERT_EQ(vae->downsampleFactor(), 2);
    const torch::Tensor images = torch::rand({3, 3, 16, 12}) * 2 - 1;
    const torch::Tensor z = vae->encode(images, 1);
    EXPECT_EQ(z.sizes(), (std::vector<int64_t>{3, 4, 8, 6}));
    EXPECT_LT(maxDiff(z, vae->encode(images, 3)), 1e-5f);
    const torch::Tensor back = vae->decode(z, 2);
    EXPECT_EQ(back.sizes(), images.sizes());
    EXPECT_LT(maxDiff(back, vae->decode(z, 1)), 1e-5f);
}

// Frames larger than a tile decode and encode as blended tiles: sizes that are no multiple of the stride come out
// whole, a frame that fits one tile is exact, and a tiled result approaches the untiled one as tiles and overlaps
// grow (each tile's GroupNorm sees only its tile; the ramps hide the seams that abutting tiles show). Bounds from
// this random tiny VAE on noise, the worst case for tile statistics.
TEST(SdModels, VaeTilesApproachTheWholeFrame) {
    torch::manual_seed(6);
    torch::NoGradGuard noGrad;
    const SdConfig c = tinyConfig();
    AutoencoderKl vae(c.vae);
    const auto relative = [](const torch::Tensor& a, const torch::Tensor& b) {
        return ((a - b).norm() / b.norm()).item<float>();
    };
    const torch::Tensor z = torch::randn({2, 4, 37, 23});
    const torch::Tensor whole = vae->decode(z, 1, VaeTiling{0, 0});
    EXPECT_EQ(maxDiff(whole, vae->decode(z, 1, VaeTiling{37, 8})), 0.0f);  // one tile: the whole frame
    std::vector<float> errors;
    for (const VaeTiling tiling : {VaeTiling{12, 5}, VaeTiling{16, 4}, VaeTiling{36, 16}}) {
        const torch::Tensor tiled = vae->decode(z, 2, tiling);
        ASSERT_EQ(tiled.sizes(), whole.sizes());
        EXPECT_TRUE(torch::isfinite(tiled).all().item<bool>());
        errors.push_back(relative(tiled, whole));
        EXPECT_LT(errors.back(), 0.6f * relative(vae->decode(z, 2, VaeTiling{tiling.tile, 0}), whole));
    }
    EXPECT_LT(errors[0], 0.2f);
    EXPECT_LT(errors[1], 0.12f);
    EXPECT_LT(errors[2], 0.03f);
    const torch::Tensor images = torch::rand({1, 3, 70, 46}) * 2 - 1;
    const torch::Tensor latents = vae->encode(images, 1, VaeTiling{0, 0});
    const torch::Tensor small = vae->encode(images, 1, VaeTiling{12, 4}),
                        large = vae->encode(images, 1, VaeTiling{24, 6});
    ASSERT_EQ(small.sizes(), (std::vector<int64_t>{1, 4, 35, 23}));
    EXPECT_LT(relative(large, latents), 0.06f);
    EXPECT_LT(relative(large, latents), relative(small, latents));
    EXPECT_LT(relative(small, latents), relative(vae->encode(images, 1, VaeTiling{12, 0}), latents));
}

// The fallback path chunks queries to bound its score matrix; any chunking gives the same result as one shot
// and as the fused kernel where LibTorch has one, and the causal mask holds across chunk boundaries.
TEST(SdModels, ChunkedAttentionMatchesOneShot) {
    torch::manual_seed(5);
    const torch::Tensor q = torch::randn({2, 37, 16}), k = torch::randn({2, 37, 16}), v = torch::randn({2, 37, 16});
    for (bool causal : {false, true}) {
        const torch::Tensor whole = ml::attention(q, k, v, 4, causal);  // SDPA on LibTorch 2.x
        const torch::Tensor oneShot = ml::attentionChunked(q, k, v, 4, causal);
        const torch::Tensor chunked =
            ml::attentionChunked(q, k, v, 4, causal, 2 * 4 * 37 * 4 * 5);  // 5 queries a chunk
        EXPECT_LT(maxDiff(oneShot, chunked), 1e-6f);
        EXPECT_LT(maxDiff(whole, chunked), 1e-5f);
    }
    // Causal: the first query sees only the first key, so it returns the first value.
    const torch::Tensor first = ml::attention(q, k, v, 1, true).select(1, 0);
    EXPECT_LT(maxDiff(first, v.select(1, 0)), 1e-6f);
}

// SD 1.5's scheduler visits 1, 21, ..., 981 for 50 steps (leading spacing, offset 1); the prior's trailing
// spacing ends at 999. DDIM inversion then sampling with the same exact denoiser reconstructs the latent, closer
// with more steps, to first order (the data here is Gaussian, so the exact noise prediction is known in closed
// form; measured max errors 0.28, 0.052, 0.010 for 10, 50, 250 steps).
TEST(SdModels, DdimTimestepsAndInversionRoundTrip) {
    ml::DdimOptions sd;
    sd.steps = 50;
    sd.spacing = ml::TimestepSpacing::Leading;
    sd.offset = 1;
    const auto ts = ml::ddimTimesteps(1000, sd);
    ASSERT_EQ(ts.size(), 50u);
    EXPECT_EQ(ts.front(), 1);
    EXPECT_EQ(ts[1], 21);
    EXPECT_EQ(ts.back(), 981);
    EXPECT_EQ(ml::ddimTimesteps(1000, ml::DdimOptions{}).back(), 999);
    sd.steps = 1000;  // leading + offset 1 would reach 1000: clamped, and the repeat dropped
    const auto all = ml::ddimTimesteps(1000, sd);
    EXPECT_EQ(all.back(), 999);
    for (size_t i = 1; i < all.size(); ++i) ASSERT_GT(all[i], all[i - 1]);

    const ml::NoiseSchedule schedule = ml::NoiseSchedule::scaledLinear(1000, 0.00085, 0.012, false);
    EXPECT_DOUBLE_EQ(schedule.alphaBar(-1), schedule.alphasCumprod[0].item<double>());
    const double s2 = 0.25;  // data ~ N(0, s2): E[eps | x_t] = sqrt(1 - a) x_t / (a s2 + 1 - a)
    const ml::Epsilon exact = [&](const torch::Tensor& x, int64_t t) {
        const double a = schedule.alphaBar(t);
        return x * (std::sqrt(1.0 - a) / (a * s2 + 1.0 - a));
    };
    torch::manual_seed(6);
    const torch::Tensor x0 = torch::randn({2, 4, 4, 4}) * std::sqrt(s2);
    double previous = 1e9;
    for (int steps : {10, 50, 250}) {
        sd.steps = steps;
        const torch::Tensor noise = ml::ddimInvert(exact, x0, schedule, sd);
        const torch::Tensor back = ml::ddimSample(exact, noise, schedule, sd, at::detail::createCPUGenerator(0));
        const double error = maxDiff(back, x0);
        EXPECT_LT(error, previous / 3.0) << steps << " steps";  // first order: 5x the steps, ~5x less error
        EXPECT_GT(error, 0.0);  // inversion is approximate: the ODE is stepped the other way
        previous = error;
    }
    EXPECT_LT(previous, 2e-2);  // 250 steps (measured 0.010)
}

// Gradient checkpointing recomputes each block in the backward: the gradients of every parameter are those of
// the plain backward, also when only the query projections and the temporal attention train (every block input
// frozen: the case Tune-A-Video-style fine-tuning is in) and under bf16 autocast.
TEST(SdModels, GradientCheckpointingGivesTheSameGradients) {
    torch::manual_seed(5);
    const SdConfig c = tinyConfig();
    const InflationConfig inflation{FrameAttention::SparseCausal, true};
    SdUNet plain(c.unet, inflation), checkpointed(c.unet, inflation);
    {
        torch::NoGradGuard noGrad;
        for (auto& p : plain->parameters()) p.add_(0.01 * torch::randn_like(p));  // temporal outputs non-zero
    }
    copyWeights(*plain, *checkpointed);
    checkpointed->gradientCheckpointing = true;
    const int frames = 3;
    const torch::Tensor x = torch::randn({frames, 4, 8, 8});
    const torch::Tensor context = torch::randn({frames, 5, 32});
    const torch::Tensor t = torch::tensor({300});
    const auto gradients = [&](SdUNet& net, bool onlyQueries, bool bf16) {
        for (const auto& p : net->named_parameters()) {
            const bool q = p.key().find("to_q") != std::string::npos || p.key().find("_temp") != std::string::npos;
            p.value().set_requires_grad(!onlyQueries || q);
            p.value().mutable_grad() = torch::Tensor();
        }
        net->train();
        if (bf16) {
            at::autocast::set_cpu_enabled(true);
            at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
        }
        const torch::Tensor y = net->forward(x, t, context, frames).to(torch::kFloat32);
        if (bf16) at::autocast::set_cpu_enabled(false);
        y.pow(2).mean().backward();
        std::map<std::string, torch::Tensor> out;
        for (const auto& p : net->named_parameters())
            if (p.value().grad().defined()) out[p.key()] = p.value().grad().clone();
        return out;
    };
    const auto fp32 = gradients(plain, false, false);
    for (const auto& [onlyQueries, bf16] : {std::pair{false, false}, {true, false}, {false, true}}) {
        const auto a = gradients(plain, onlyQueries, bf16), b = gradients(checkpointed, onlyQueries, bf16);
        EXPECT_EQ(a.size(), b.size()) << "queries only " << onlyQueries;
        ASSERT_GT(a.size(), onlyQueries ? 8u : 100u);
        for (const auto& [name, g] : a) {
            if (!b.count(name)) {
                ADD_FAILURE() << "no gradient with checkpointing: " << name;
                continue;
            }
            const float scale = std::max(1e-8f, g.abs().max().item<float>());
            // In bf16 the two backwards round differently: within 2e-2, or half of what bf16 itself moves the
            // gradient from fp32's where that is more (CPUs without bf16 instructions accumulate in bf16: there
            // it moves 10-25% and the two differ by 2-3%). A recompute outside autocast would differ by all of it.
            const float bound = bf16 ? std::max(2e-2f, 0.5f * maxDiff(g, fp32.at(name)) / scale) : 1e-4f;
            EXPECT_LT(maxDiff(g, b.at(name)) / scale, bound) << name << " queries only " << onlyQueries;
        }
    }
    // Sampling (no grad) and eval mode take the plain path and agree too.
    torch::NoGradGuard noGrad;
    plain->eval();
    checkpointed->eval();
    EXPECT_TRUE(torch::equal(plain->forward(x, t, context, frames), checkpointed->forward(x, t, context, frames)));
}
