// A user's SD weights as Waft finds, checks and loads them, and the two jobs on them: a diffusers folder and a
// single-file checkpoint of the same (tiny) model load to the same modules, fp16 files too; a missing, extra or
// misshapen tensor, a pickle file or NaN weights are one line naming the problem. GoogleTest, no Qt.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <opencv2/core.hpp>

#include "SdTestModels.h"
#include "TestSupport.h"
#include "io/SafetensorsWriter.h"
#include "ml/prior/ModelMemory.h"
#include "ml/sd/AutoencoderKl.h"
#include "ml/sd/ClipTextModel.h"
#include "ml/sd/SdJobs.h"
#include "ml/sd/SdModelFiles.h"
#include "ml/sd/SdModelLoader.h"
#include "ml/sd/SdNames.h"
#include "ml/sd/SdPipeline.h"
#include "ml/sd/SdUNet.h"

using namespace waft::engine;
using namespace waft::engine::sd;
namespace fs = std::filesystem;

namespace {

const char* kTinyDiffusersUNet = R"({"in_channels": 4, "out_channels": 4, "block_out_channels": [32, 64],
  "layers_per_block": 1, "cross_attention_dim": 32, "attention_head_dim": 4, "norm_num_groups": 8,
  "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"]})";
const char* kTinyDiffusersVae = R"({"block_out_channels": [16, 32], "layers_per_block": 1, "norm_num_groups": 8})";
const char* kTinyDiffusersText = R"({"vocab_size": 100, "max_position_embeddings": 12, "hidden_size": 32,
  "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64, "hidden_act": "quick_gelu"})";

SdConfig tinyConfig() { return waft::test::tinySdConfig(); }

struct TinySd {
    SdConfig config = tinyConfig();
    SdUNet unet{config.unet};
    AutoencoderKl vae{config.vae};
    ClipTextModel text{config.text};
    torch::nn::Module& part(SdPart p) {
        return p == SdPart::Unet  ? static_cast<torch::nn::Module&>(*unet)
               : p == SdPart::Vae ? static_cast<torch::nn::Module&>(*vae)
                                  : static_cast<torch::nn::Module&>(*text);
    }
};

void write(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

// Adds a module's tensors under `name(tensor)` in the file's dtype (F32 or F16), reshaped to `shape(tensor)`.
void addAll(SafetensorsWriter& w, torch::nn::Module& m, SdPart part, const SdConfig& config, bool single, bool half) {
    for (const auto& p : m.named_parameters()) {
        const std::string name = single ? singleFileName(config, part, p.key()) : p.key();
        const auto shape = single ? singleFileShape(part, p.key(), p.value().sizes().vec()) : p.value().sizes().vec();
        const torch::Tensor t = p.value().detach().contiguous().to(half ? torch::kHalf : torch::kFloat32);
        ASSERT_TRUE(w.addTensor(name, half ? DType::F16 : DType::F32, shape, static_cast<const uint8_t*>(t.data_ptr()),
                                size_t(t.numel()) * t.element_size())
                        .isOk());
    }
}

std::string saveDiffusers(TinySd& sd, const fs::path& dir, bool half = false) {
    write(dir / "model_index.json", "{}");
    write(dir / "unet/config.json", kTinyDiffusersUNet);
    write(dir / "vae/config.json", kTinyDiffusersVae);
    write(dir / "text_encoder/config.json", kTinyDiffusersText);
    const std::pair<SdPart, std::string> files[] = {{SdPart::Unet, "unet/diffusion_pytorch_model.safetensors"},
                                                    {SdPart::Vae, "vae/diffusion_pytorch_model.safetensors"},
                                                    {SdPart::TextEncoder, "text_encoder/model.safetensors"}};
    for (const auto& [part, file] : files) {
        SafetensorsWriter w;
        addAll(w, sd.part(part), part, sd.config, false, half);
        EXPECT_TRUE(w.save((dir / file).string()).isOk());
    }
    return dir.string();
}

std::string saveSingle(TinySd& sd, const fs::path& path, const std::vector<std::string>& extra = {}) {
    SafetensorsWriter w;
    for (SdPart part : {SdPart::Unet, SdPart::Vae, SdPart::TextEncoder})
        addAll(w, sd.part(part), part, sd.config, true, false);
    const float one = 1.0f;
    for (const std::string& name : extra) EXPECT_TRUE(w.addFloat(name, {1}, &one).isOk());
    w.setMetadata("waft_sd_config", std::string(R"({"unet": )") + kTinyDiffusersUNet + R"(, "vae": )" +
                                        kTinyDiffusersVae + R"(, "text_encoder": )" + kTinyDiffusersText + "}");
    EXPECT_TRUE(w.save(path.string()).isOk());
    return path.string();
}

// The UNet output of a model loaded from `files` for fixed inputs.
torch::Tensor unetOutput(const SdModelFiles& files) {
    SdUNet net(files.config.unet);
    EXPECT_TRUE(loadSdPart(*net, files, SdPart::Unet).isOk());
    torch::manual_seed(9);
    return net->forward(torch::randn({1, 4, 8, 8}), torch::tensor({10}), torch::randn({1, 5, 32}));
}

}  // namespace

TEST(SdModelFiles, BothLayoutsLoadTheSameModel) {
    torch::manual_seed(0);
    torch::NoGradGuard noGrad;
    const fs::path dir = waft::test::tempDir("sd-files");
    TinySd sd;
    auto diffusers = openSdModel(saveDiffusers(sd, dir / "diffusers"));
    ASSERT_TRUE(diffusers.hasValue()) << diffusers.status().message();
    EXPECT_EQ(diffusers->layout, SdLayout::Diffusers);
    EXPECT_EQ(diffusers->config.unet.channels, sd.config.unet.channels);
    auto single = openSdModel(saveSingle(sd, dir / "model.safetensors", {"betas", "model_ema.decay"}));
    ASSERT_TRUE(single.hasValue()) << single.status().message();
    EXPECT_EQ(single->layout, SdLayout::SingleFile);
    EXPECT_EQ(single->ignoredTensors, 2);
    for (SdPart part : {SdPart::Unet, SdPart::Vae, SdPart::TextEncoder}) {
        EXPECT_EQ(single->parts[part].parameters, parameterCount(partTensors(sd.config, part)));
        EXPECT_EQ(diffusers->parts[part].dtype, "F32");
    }
    const torch::Tensor original = [&] {
        torch::manual_seed(9);
        return sd.unet->forward(torch::randn({1, 4, 8, 8}), torch::tensor({10}), torch::randn({1, 5, 32}));
    }();
    EXPECT_TRUE(torch::equal(unetOutput(*diffusers), original));
    EXPECT_TRUE(torch::equal(unetOutput(*single), original));
    // The VAE's 1x1-conv attention weights of the single file land in its linear layers.
    AutoencoderKl vae(single->config.vae);
    ASSERT_TRUE(loadSdPart(*vae, *single, SdPart::Vae).isOk());
    const torch::Tensor images = torch::rand({1, 3, 8, 8});
    EXPECT_TRUE(torch::equal(vae->encode(images), sd.vae->encode(images)));
    const torch::Tensor latents = torch::randn({1, 4, 4, 4});
    EXPECT_TRUE(torch::equal(vae->decode(latents), sd.vae->decode(latents)));  // the decoder's mid attention too
    ClipTextModel text(single->config.text);
    ASSERT_TRUE(loadSdPart(*text, *single, SdPart::TextEncoder).isOk());
    const torch::Tensor ids = torch::randint(0, 100, {1, 12}, torch::kLong);
    EXPECT_TRUE(torch::equal(text->forward(ids), sd.text->forward(ids)));
    // fp16 weights load into fp32 modules, rounded to half precision.
    auto half = openSdModel(saveDiffusers(sd, dir / "half", true));
    ASSERT_TRUE(half.hasValue()) << half.status().message();
    EXPECT_EQ(half->parts[SdPart::Unet].dtype, "F16");
    EXPECT_LT((unetOutput(*half) - original).abs().max().item<float>(), 5e-2f);
    EXPECT_FALSE(torch::equal(unetOutput(*half), original));
    // The summary `waft-cli models` prints.
    const std::string json = sdModelSummaryJson(*single);
    EXPECT_NE(json.find("\"single-file\""), std::string::npos);
}

// In bf16 (the CPU's half precision; CUDA adds fp16) the loaded weights are bf16 except the norms', which stay
// fp32, each converted once from the file; the UNet, text tower and VAE outputs stay near fp32's.
TEST(SdModelFiles, HalfPrecisionWeightsKeepNormsInFp32) {
    torch::manual_seed(4);
    const fs::path dir = waft::test::tempDir("sd-bf16");
    TinySd sd;
    {
        torch::NoGradGuard noGrad;  // weights of the size real ones have, so bf16's rounding is visible
        for (auto* m : {&sd.part(SdPart::Unet), &sd.part(SdPart::Vae), &sd.part(SdPart::TextEncoder)})
            for (auto& p : m->parameters()) p.add_(0.02 * torch::randn_like(p));
    }
    const std::string path = saveSingle(sd, dir / "tiny.safetensors");
    prior::ComputeOptions fp32, bf16;
    fp32.device = bf16.device = prior::ComputeDevice::Cpu;
    fp32.precision = prior::Precision::Fp32;
    bf16.precision = prior::Precision::Bf16;
    auto full = loadSdModel(path, {FrameAttention::PerFrame, false}, fp32);
    ASSERT_TRUE(full.hasValue()) << full.status().message();
    const std::shared_ptr<SdModel> a = *full;  // the cache holds one model: keep this one alive
    auto half = loadSdModel(path, {FrameAttention::PerFrame, false}, bf16);
    ASSERT_TRUE(half.hasValue()) << half.status().message();
    SdModel& b = **half;
    ASSERT_NE(a.get(), &b);
    int normTensors = 0, halfTensors = 0;
    for (torch::nn::Module* m :
         {static_cast<torch::nn::Module*>(b.unet.get()), static_cast<torch::nn::Module*>(b.vae.get()),
          static_cast<torch::nn::Module*>(b.text.get())})
        for (const auto& p : m->named_parameters()) {
            const std::string& n = p.key();
            const bool norm = n.find("norm") != std::string::npos && n.find("norm_out") == std::string::npos
                                  ? true
                                  : n.find("conv_norm_out") != std::string::npos;
            if (norm) {
                EXPECT_EQ(p.value().scalar_type(), torch::kFloat32) << n;
                ++normTensors;
            } else {
                EXPECT_EQ(p.value().scalar_type(), torch::kBFloat16) << n;
                ++halfTensors;
            }
        }
    EXPECT_GT(normTensors, 20);
    EXPECT_GT(halfTensors, 100);
    // Each weight is the file's value rounded once to bf16.
    const torch::Tensor q =
        sd.unet->named_parameters()["down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight"];
    EXPECT_TRUE(
        torch::equal(b.unet->named_parameters()["down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.weight"],
                     q.to(torch::kBFloat16)));
    torch::NoGradGuard noGrad;
    auto ca = encodePrompt(*a, "a red ball"), cb = encodePrompt(b, "a red ball");
    ASSERT_TRUE(ca.hasValue() && cb.hasValue());
    const auto relative = [](const torch::Tensor& x, const torch::Tensor& ref) {
        return ((x - ref).norm() / ref.norm()).item<float>();
    };
    EXPECT_EQ(cb->scalar_type(), torch::kFloat32);
    EXPECT_LT(relative(*cb, *ca), 0.05f);
    const torch::Tensor x = torch::randn({2, 4, 8, 8});
    const SdGuidance ga{*ca, {}, 1.0}, gb{*cb, {}, 1.0};
    const torch::Tensor ea = guidedEpsilon(*a, ga, 2)(x, 500), eb = guidedEpsilon(b, gb, 2)(x, 500);
    EXPECT_EQ(eb.scalar_type(), torch::kFloat32);
    EXPECT_LT(relative(eb, ea), 0.05f);
    EXPECT_GT(relative(eb, ea), 0.0f);  // it did run in bf16
    const torch::Tensor images = torch::rand({2, 3, 8, 8}) * 2 - 1;
    const torch::Tensor za = vaeEncode(*a, images), zb = vaeEncode(b, images);
    EXPECT_EQ(zb.scalar_type(), torch::kFloat32);
    EXPECT_LT(relative(zb, za), 0.05f);
    // The decoder is the deepest path: within 5%, or 5 x one bf16 matrix product's error where this CPU's bf16
    // kernels accumulate in bf16 (no bf16 instructions: 2.6% a product, the decoder measured 9.9% on an AVX2 EPYC;
    // with fp32 accumulation a product is off by its output rounding alone, about 0.3%). On such a CPU the bound
    // (about 13%) may not catch norms run in bf16; machines that accumulate in fp32 keep the 5% that does.
    const torch::Tensor m1 = torch::randn({64, 512}).to(torch::kBFloat16),
                        m2 = torch::randn({512, 64}).to(torch::kBFloat16);
    const float product =
        relative(torch::mm(m1, m2).to(torch::kFloat32), torch::mm(m1.to(torch::kFloat32), m2.to(torch::kFloat32)));
    const float decoded = relative(vaeDecode(b, za), vaeDecode(*a, za));
    std::printf("bf16: one matrix product off by %.4f, the decoder by %.4f (relative)\n", product, decoded);
    EXPECT_LT(decoded, std::max(0.05f, 5.0f * product));
    releaseCachedSdModels();
}

TEST(SdModelFiles, BadModelsAreOneLineNamingTheProblem) {
    torch::manual_seed(1);
    torch::NoGradGuard noGrad;
    const fs::path dir = waft::test::tempDir("sd-files-bad");
    TinySd sd;
    const auto refused = [](const std::string& path, const std::string& expected) {
        const Status s = openSdModel(path).status();
        EXPECT_FALSE(s.isOk()) << path;
        EXPECT_NE(s.message().find(expected), std::string::npos) << s.message();
        EXPECT_EQ(s.message().find('\n'), std::string::npos);
    };
    write(dir / "v1-5.ckpt", "PK pickle");
    refused((dir / "v1-5.ckpt").string(), "pickle");
    refused(saveSingle(sd, dir / "extra.safetensors", {"model.diffusion_model.surprise.weight"}),
            "'model.diffusion_model.surprise.weight' does not belong");
    {
        TinySd other;
        other.config.unet.crossAttentionDim = 32;
        saveDiffusers(other, dir / "nounet");
        fs::remove(dir / "nounet/unet/diffusion_pytorch_model.safetensors");
        write(dir / "nounet/unet/diffusion_pytorch_model.bin", "pickle");
        refused((dir / "nounet").string(), "pickle file");
    }
    {
        saveDiffusers(sd, dir / "wrongconfig");
        write(dir / "wrongconfig/unet/config.json",
              R"({"block_out_channels": [32, 96], "norm_num_groups": 8, "attention_head_dim": 4,
          "cross_attention_dim": 32, "layers_per_block": 1, "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"]})");
        refused((dir / "wrongconfig").string(), "has shape");
        write(dir / "wrongconfig/unet/config.json",
              R"({"block_out_channels": [32, 64], "norm_num_groups": 7, "cross_attention_dim": 32,
          "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"]})");
        refused((dir / "wrongconfig").string(), "not divisible");
        write(dir / "wrongconfig/unet/config.json",
              R"({"block_out_channels": [4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096],
          "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
          "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"], "layers_per_block": 8, "cross_attention_dim": 32})");
        refused((dir / "wrongconfig").string(), "too many parameters");
        // Parts that cannot work together, and no levels at all (this reached front() of an empty list).
        write(dir / "wrongconfig/unet/config.json", kTinyDiffusersUNet);
        write(dir / "wrongconfig/text_encoder/config.json", R"({"hidden_size": 48, "num_attention_heads": 4,
          "vocab_size": 100, "max_position_embeddings": 12, "num_hidden_layers": 2, "intermediate_size": 64})");
        refused((dir / "wrongconfig").string(), "the text encoder is 48 wide");
        write(dir / "wrongconfig/text_encoder/config.json", kTinyDiffusersText);
        write(dir / "wrongconfig/vae/config.json", R"({"block_out_channels": []})");
        refused((dir / "wrongconfig").string(), "vae config has no levels");
        write(dir / "wrongconfig/vae/config.json", R"({"block_out_channels": [16, 32], "layers_per_block": 1,
          "norm_num_groups": 8, "latent_channels": 3})");
        refused((dir / "wrongconfig").string(), "the vae's latents have 3");
    }
    // A tensor missing from a part (a file without waft_sd_config is checked against SD 1.5's config).
    SafetensorsWriter w;
    const float one = 1.0f;
    ASSERT_TRUE(w.addFloat("model.diffusion_model.conv_in.weight", {1}, &one).isOk());  // a diffusers name
    ASSERT_TRUE(w.save((dir / "partial.safetensors").string()).isOk());
    refused((dir / "partial.safetensors").string(), "'model.diffusion_model.input_blocks.0.0.weight' is missing");
    // NaN weights pass the header check and are refused by the loader, naming the tensor.
    {
        TinySd nan;
        nan.unet->named_parameters()["conv_in.weight"].data()[0][0][0][0] = NAN;
        auto files = openSdModel(saveSingle(nan, dir / "nan.safetensors"));
        ASSERT_TRUE(files.hasValue());
        SdUNet net(files->config.unet);
        const Status s = loadSdPart(*net, *files, SdPart::Unet);
        EXPECT_NE(s.message().find("'model.diffusion_model.input_blocks.0.0.weight' holds NaN"), std::string::npos)
            << s.message();
    }
}

// Text to image on a tiny random model: the image has the asked size, a seed reproduces it, another seed does
// not, cancelling stops it, and sizes the VAE cannot produce are one line.
TEST(SdJobs, GenerateIsSeededSizedAndCancellable) {
    torch::manual_seed(2);
    const fs::path dir = waft::test::tempDir("sd-generate");
    TinySd sd;
    sd::SdSampleParams p;
    p.model = saveSingle(sd, dir / "tiny.safetensors");
    p.prompt = "a red ball moving left";
    p.negative = "blurry";
    p.steps = 3;
    p.width = 24;
    p.height = 16;
    p.compute.device = prior::ComputeDevice::Cpu;
    const auto generate = [&](const sd::SdSampleParams& params, cv::Mat* image) {
        GenerateJob job(params);
        Progress progress;
        const Status s = job.run(progress, CancelToken());
        if (image) *image = job.image();
        return s;
    };
    cv::Mat a, b, c;
    ASSERT_TRUE(generate(p, &a).isOk());
    EXPECT_EQ(a.cols, 24);
    EXPECT_EQ(a.rows, 16);
    EXPECT_EQ(a.type(), CV_8UC3);
    ASSERT_TRUE(generate(p, &b).isOk());
    EXPECT_EQ(cv::norm(a, b, cv::NORM_INF), 0.0);
    EXPECT_EQ(cachedSdModelCount(), 1u);  // loaded once for both runs; the app's Free Model Memory drops it
    prior::releaseCachedModels();
    EXPECT_EQ(cachedSdModelCount(), 0u);
    p.seed = 1;
    ASSERT_TRUE(generate(p, &c).isOk());
    EXPECT_GT(cv::norm(a, c, cv::NORM_INF), 0.0);
    p.width = 25;
    const Status odd = generate(p, nullptr);
    EXPECT_NE(odd.message().find("multiples of the VAE's factor 2"), std::string::npos) << odd.message();
    p.width = 24;
    GenerateJob job(p);
    CancelToken cancel;
    cancel.cancel();
    Progress progress;
    EXPECT_EQ(job.run(progress, cancel).code(), StatusCode::Cancelled);
}

// A real clip inverted and sampled back with the inflated tiny model (a smoke test of the pipeline: with random
// weights the error itself means nothing; the inversion's accuracy is tst_SdModels' closed-form test): the frames
// come back at the work size, the error is measured, a missing clip is one line.
TEST(SdJobs, InvertVideoRoundTripsARealClip) {
    if (!waft::test::dataAvailable("opencv-samples/tree.avi")) GTEST_SKIP() << "no shared data";
    torch::manual_seed(3);
    const fs::path dir = waft::test::tempDir("sd-invert");
    TinySd sd;
    InvertParams p;
    p.sample.model = saveSingle(sd, dir / "tiny.safetensors");
    p.sample.prompt = "a tree";
    p.sample.steps = 4;
    p.sample.guidance = 1.0f;
    p.sample.width = 32;
    p.sample.height = 24;
    p.sample.compute.device = prior::ComputeDevice::Cpu;
    p.video = waft::test::dataPath("opencv-samples/tree.avi");
    p.frames = 3;
    InvertVideoJob job(p);
    Progress progress;
    const Status s = job.run(progress, CancelToken());
    ASSERT_TRUE(s.isOk()) << s.message();
    ASSERT_EQ(job.reconstruction().size(), 3u);
    EXPECT_EQ(job.reconstruction()[0].cols, 32);
    EXPECT_EQ(job.reconstruction()[0].rows, 24);
    EXPECT_TRUE(std::isfinite(job.meanAbsoluteError()));
    EXPECT_GT(job.psnr(), 0.0);
    EXPECT_NE(job.summary().find("PSNR"), std::string::npos);
    p.video = (dir / "none.mp4").string();
    InvertVideoJob missing(p);
    EXPECT_FALSE(missing.run(progress, CancelToken()).isOk());
}
