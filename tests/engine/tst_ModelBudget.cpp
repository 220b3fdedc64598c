// Motion-prior configs from untrusted model files: their cost and consistency are known before any module is
// built (ml/prior/ModelBudget), and hostile configs are one-line errors, never a crash, an abort or tens of
// gigabytes. GoogleTest, no Qt; torch only to count the parameters the real modules have.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <chrono>
#include <filesystem>

#include "PriorTestModels.h"
#include "TestSupport.h"
#include "io/SafetensorsWriter.h"
#include "ml/prior/ModelBudget.h"
#include "ml/prior/ModelFile.h"
#include "ml/prior/MotionModels.h"
#include "ml/prior/PredictJob.h"
#include "ml/prior/PriorPresets.h"

using namespace waft::engine;
using namespace waft::engine::prior;

namespace {

int64_t countOf(torch::nn::Module& m) {
    int64_t n = 0;
    for (const auto& p : m.parameters()) n += p.numel();
    return n;
}

// A model file with nothing but a config: the loader must refuse it from the config alone.
std::string configOnly(const std::string& dir, const std::string& name, const std::string& kind,
                       const std::string& config) {
    SafetensorsWriter writer;
    writer.setMetadata("format", "waft-model");
    writer.setMetadata("kind", kind);
    writer.setMetadata("config", config);
    const std::string path = dir + "/" + name + ".safetensors";
    EXPECT_TRUE(writer.save(path).isOk());
    return path;
}

}  // namespace

// The formulas mirror the constructors: for presets and assorted shapes, the count is the modules' own.
TEST(ModelBudget, ParameterCountsMatchTheModules) {
    std::vector<VaeConfig> vaes = {vaePreset(ModelPreset::Tiny), vaePreset(ModelPreset::Paper)};
    VaeConfig odd;
    odd.inChannels = 3;
    odd.latentChannels = 2;
    odd.channels = {8, 16, 16, 24};
    odd.groups = 4;
    vaes.push_back(odd);
    for (const VaeConfig& c : vaes) {
        MotionVae vae(c);
        EXPECT_EQ(vaeParameterCount(c), countOf(*vae));
        EXPECT_TRUE(checkVaeConfig(c).isOk());
    }
    std::vector<UNetConfig> unets = {unetPreset(ModelPreset::Tiny, 16), unetPreset(ModelPreset::Paper, 16)};
    UNetConfig freq = unetPreset(ModelPreset::Tiny, 4);
    freq.frequencyAttention = true;
    freq.channelMults = {1, 3, 2};
    freq.resBlocksPerLevel = 2;
    freq.attentionLevels = {0, 2};
    unets.push_back(freq);
    for (const UNetConfig& c : unets) {
        DenoiserUNet net(c);
        EXPECT_EQ(unetParameterCount(c), countOf(*net));
        EXPECT_TRUE(checkUNetConfig(c).isOk()) << checkUNetConfig(c).message();
    }
}

// The loaders refuse hostile configs from the config alone, in milliseconds, with one line naming the path.
TEST(ModelBudget, LoadersRefuseHostileConfigsBeforeAllocating) {
    const std::string dir = waft::test::tempDir("model-budget");
    struct Case {
        const char* kind;
        const char* config;
        const char* expected;
    };
    const std::vector<Case> cases = {
        {"unet", R"({"model_channels": 8192, "channel_mults": [64, 64, 64, 64, 64, 64, 64, 64],
                    "res_blocks_per_level": 8, "heads": 8, "groups": 32})",
         "parameters, at most"},
        {"unet", R"({"model_channels": 64, "channel_mults": [1, 2], "groups": 24, "heads": 4})", "does not divide"},
        {"unet", R"({"model_channels": 64, "channel_mults": [1, 2], "groups": 8, "heads": 6,
                    "attention_levels": [1]})",
         "heads 6 does not divide"},
        {"unet", R"({"model_channels": -64, "channel_mults": [-1]})", "field 'model_channels'"},
        {"unet", R"({"model_channels": 64.5})", "field 'model_channels'"},
        {"unet", R"({"model_channels": 1e12})", "field 'model_channels'"},
        {"unet", R"({"groups": "32"})", "field 'groups'"},
        {"vae", R"({"channels": [8192, 8192, 8192, 8192, 8192, 8192, 8192, 8192], "groups": 32})",
         "parameters, at most"},
        {"vae", R"({"channels": [30, 60], "groups": 8})", "does not divide"},
        {"vae", R"({"channels": []})", "VAE config needs positive"},
        {"vae", R"({"channels": [[[[[[1]]]]]]})", "nested deeper"},
    };
    for (size_t i = 0; i < cases.size(); ++i) {
        const std::string path = configOnly(dir, "hostile" + std::to_string(i), cases[i].kind, cases[i].config);
        const auto start = std::chrono::steady_clock::now();
        const Status s =
            std::string(cases[i].kind) == "vae" ? loadMotionVae(path).status() : loadDenoiser(path).status();
        const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        ASSERT_FALSE(s.isOk()) << cases[i].config;
        EXPECT_NE(s.message().find(cases[i].expected), std::string::npos) << s.message();
        EXPECT_NE(s.message().find(path), std::string::npos) << s.message();
        EXPECT_EQ(s.message().find('\n'), std::string::npos);
        EXPECT_LT(sec, 10.0) << cases[i].config;  // generous: refusing is parsing a few hundred bytes
    }
    std::filesystem::remove_all(dir);
}

// A prior whose metadata states a prediction size the models cannot produce exactly (17 is not a multiple of
// the VAE's factor 2; 18 gives a 9-wide latent the two-level denoiser cannot halve) is refused before
// sampling, instead of labelling a smaller volume with the stated size (a heap over-read before).
TEST(ModelBudget, PredictRefusesSizesTheModelsCannotProduce) {
    const std::string dir = waft::test::tempDir("model-budget-predict");
    MotionVae vae(waft::test::tinyVae());
    ASSERT_TRUE(saveMotionVae(vae, dir + "/vae.safetensors").isOk());
    UNetConfig uc = waft::test::tinyUNet(false);
    uc.conditionChannels = 3;
    DenoiserUNet net(uc);
    const auto priorWith = [&](int width, int height) {
        const std::string path =
            dir + "/prior-" + std::to_string(width) + "x" + std::to_string(height) + ".safetensors";
        EXPECT_TRUE(saveDenoiser(net, path,
                                 {{"frequency_scales", "[1.0, 1.0]"},
                                  {"frequencies_hz", "[0.5, 1.0]"},
                                  {"width", std::to_string(width)},
                                  {"height", std::to_string(height)},
                                  {"frames", "30"},
                                  {"fps", "30"}})
                        .isOk());
        return path;
    };
    const cv::Mat photo = waft::test::texturedImage(40, 30);
    PredictParams params;
    params.sampler.steps = 2;
    params.compute.device = ComputeDevice::Cpu;
    const auto predict = [&](const std::string& prior) {
        PredictJob job(photo, prior, dir + "/vae.safetensors", params);
        Progress progress;
        return job.run(progress, CancelToken());
    };
    const Status odd = predict(priorWith(17, 16));
    EXPECT_NE(odd.message().find("not a multiple of the VAE's factor 2"), std::string::npos) << odd.message();
    const Status unetOdd = predict(priorWith(18, 16));  // latent 9x8: the denoiser's two levels need even
    EXPECT_NE(unetOdd.message().find("not a positive multiple of 2"), std::string::npos) << unetOdd.message();
    const Status fine = predict(priorWith(16, 12));  // latent 8x6
    EXPECT_TRUE(fine.isOk()) << fine.message();
    std::filesystem::remove_all(dir);
}
