// Motion-prior configs from untrusted model files, torch-free: a model file's metadata is read and checked
// (ml/prior/ModelConfigFile) and its cost known (ml/prior/ModelBudget) before any module is built. Hostile
// configs are generated here with their depth, sizes and counts as parameters; each is a one-line error naming
// the file, in bounded time. This suite also runs under ASan + UBSan in the tests (tests/fuzz).
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "ml/prior/ModelBudget.h"
#include "ml/prior/ModelConfigFile.h"
#include "ml/prior/PriorPresets.h"

using namespace waft::engine;
using namespace waft::engine::prior;

namespace {

const std::string kPath = "/models/hostile.safetensors";

ModelMetadata modelWith(const std::string& kind, const std::string& config) {
    return {{"format", "waft-model"}, {"kind", kind}, {"config", config}};
}

// The status of reading `config` as a model of `kind`, checked to be a refusal on one line naming the file
// that contains `expected`, read within a generous time bound.
void expectRefused(const std::string& kind, const std::string& config, const std::string& expected) {
    const auto start = std::chrono::steady_clock::now();
    const ModelMetadata meta = modelWith(kind, config);
    const Status s = kind == "vae" ? readVaeConfig(meta, kPath).status() : readUNetConfig(meta, kPath).status();
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_FALSE(s.isOk()) << config.substr(0, 200);
    EXPECT_NE(s.message().find(expected), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(kPath), std::string::npos) << s.message();
    EXPECT_EQ(s.message().find('\n'), std::string::npos) << s.message();
    EXPECT_LT(s.message().size(), 400u) << s.message();
    EXPECT_LT(sec, 5.0);  // generous: refusing is one linear parse of at most 64 KiB
}

}  // namespace

// What is written is what is read back: presets and an odd shape survive configJson -> read*Config.
TEST(ModelConfigFile, ConfigsRoundTripThroughMetadata) {
    UNetConfig u = unetPreset(ModelPreset::Tiny, 4);
    u.frequencyAttention = true;
    u.attentionLevels = {0, 1};
    auto readU = readUNetConfig(modelWith("unet", configJson(u)), kPath);
    ASSERT_TRUE(readU.hasValue()) << readU.status().message();
    EXPECT_EQ(readU->modelChannels, u.modelChannels);
    EXPECT_EQ(readU->channelMults, u.channelMults);
    EXPECT_EQ(readU->attentionLevels, u.attentionLevels);
    EXPECT_EQ(readU->frequencyAttention, true);
    EXPECT_EQ(readU->prediction, u.prediction);
    const VaeConfig v = vaePreset(ModelPreset::Paper);
    auto readV = readVaeConfig(modelWith("vae", configJson(v)), kPath);
    ASSERT_TRUE(readV.hasValue()) << readV.status().message();
    EXPECT_EQ(readV->channels, v.channels);
    EXPECT_EQ(readV->groups, v.groups);
}

// Not a Waft model, the wrong kind, no config: refused before any field is read; a hostile kind string is
// quoted short with its control characters escaped, so the error stays one line.
TEST(ModelConfigFile, RefusesFilesThatAreNotThatKindOfModel) {
    const std::string config = configJson(vaePreset(ModelPreset::Tiny));
    EXPECT_FALSE(readVaeConfig({{"config", config}}, kPath).hasValue());
    EXPECT_FALSE(readVaeConfig({{"format", "waft-model"}, {"kind", "vae"}}, kPath).hasValue());
    const ModelMetadata unet = modelWith("unet", config);
    EXPECT_NE(readVaeConfig(unet, kPath).status().message().find("expected 'vae'"), std::string::npos);
    const std::string hostileKind = "v\nae\r" + std::string(100000, 'x');
    const Status s = readVaeConfig(modelWith(hostileKind, config), kPath).status();
    EXPECT_EQ(s.message().find('\n'), std::string::npos);
    EXPECT_LT(s.message().size(), 200u) << s.message();
}

// A config nested `depth` arrays deep (58,000 crashed every loader by stack overflow before): refused by the
// parser's depth limit, never recursed over or dumped.
class DeepConfig : public testing::TestWithParam<int> {};
TEST_P(DeepConfig, IsRefusedByDepth) {
    const int depth = GetParam();
    const std::string config = "{\"channels\": " + std::string(depth, '[') + std::string(depth, ']') + "}";
    expectRefused("vae", config, depth * 2 + 16 > 64 * 1024 ? "bytes of JSON, at most" : "nested deeper");
}
INSTANTIATE_TEST_SUITE_P(Depths, DeepConfig, testing::Values(6, 1000, 30000, 58000));

// Each channel count within its range, the total not: parameter counts in 64-bit with overflow checks.
class HugeUNet : public testing::TestWithParam<int> {};
TEST_P(HugeUNet, IsRefusedByItsParameterCount) {
    const int levels = GetParam();
    std::string mults = "[";
    for (int i = 0; i < levels; ++i) mults += (i ? ", " : "") + std::string("64");
    mults += "]";
    expectRefused("unet",
                  "{\"model_channels\": 8192, \"channel_mults\": " + mults +
                      ", \"res_blocks_per_level\": 8, \"heads\": 8, \"groups\": 32, \"attention_levels\": []}",
                  "parameters, at most");
}
INSTANTIATE_TEST_SUITE_P(Levels, HugeUNet, testing::Values(1, 4, 8));

class HugeVae : public testing::TestWithParam<int> {};
TEST_P(HugeVae, IsRefusedByItsParameterCount) {
    std::string channels = "[";
    for (int i = 0; i < GetParam(); ++i) channels += (i ? ", " : "") + std::string("8192");
    channels += "]";
    expectRefused("vae", "{\"channels\": " + channels + ", \"groups\": 32}", "parameters, at most");
}
INSTANTIATE_TEST_SUITE_P(Levels, HugeVae, testing::Values(4, 8));

// Values each in range whose combination the architecture cannot build (these threw c10::Error out of the
// loader and aborted the process before), and values out of range or of the wrong type.
TEST(ModelConfigFile, RefusesCombinationsTheArchitectureCannotBuild) {
    expectRefused("unet", R"({"model_channels": 64, "channel_mults": [1, 2], "groups": 24, "heads": 4})",
                  "does not divide");
    expectRefused(
        "unet", R"({"model_channels": 64, "channel_mults": [1, 2], "groups": 8, "heads": 6, "attention_levels": [1]})",
        "heads 6 does not divide");
    expectRefused("unet", R"({"model_channels": -64, "channel_mults": [-1]})", "field 'model_channels'");
    expectRefused("unet", R"({"model_channels": 64.5})", "field 'model_channels'");
    expectRefused("unet", R"({"model_channels": 1e12})", "field 'model_channels'");
    expectRefused("unet", R"({"groups": "32"})", "field 'groups'");
    expectRefused("vae", R"({"channels": [30, 60], "groups": 8})", "does not divide");
    expectRefused("vae", R"({"channels": []})", "VAE config needs positive");
}

// Configs that pass every per-value range but not the architecture, or cost too much.
TEST(ModelConfigFile, BudgetRefusesInconsistentOrHugeConfigs) {
    UNetConfig c = unetPreset(ModelPreset::Tiny, 4);
    const auto refused = [](const UNetConfig& x, const std::string& why) {
        const Status s = checkUNetConfig(x);
        EXPECT_FALSE(s.isOk()) << why;
        EXPECT_NE(s.message().find(why), std::string::npos) << s.message();
    };
    UNetConfig x = c;
    x.groups = 5;  // does not divide 32
    refused(x, "groups 5 does not divide");
    x = c;
    x.heads = 3;
    refused(x, "heads 3 does not divide");
    x = c;
    x.modelChannels = 33;
    refused(x, "must be even");
    x = c;
    x.channelMults = {1, -2};
    refused(x, "non-positive channel multiplier");
    x = c;
    x.modelChannels = 8192;
    x.channelMults = {64, 64, 64, 64};
    refused(x, "parameters, at most");
    x = c;
    x.modelChannels = 8192;
    x.channelMults = std::vector<int>(8, 64);
    x.resBlocksPerLevel = 8;
    refused(x, "parameters, at most");

    VaeConfig v = vaePreset(ModelPreset::Tiny);
    v.groups = 7;
    EXPECT_FALSE(checkVaeConfig(v).isOk());
    v = vaePreset(ModelPreset::Tiny);
    v.channels = std::vector<int>(8, 8192);
    EXPECT_FALSE(checkVaeConfig(v).isOk());

    EXPECT_TRUE(checkLatentSize(c, 8, 6).isOk());   // two levels: multiples of 2
    EXPECT_FALSE(checkLatentSize(c, 7, 6).isOk());  // odd: down and up would not meet
    EXPECT_FALSE(checkLatentSize(c, 0, 0).isOk());  // a 1x1 photo size: no latent at all
}

// The paper-size denoiser at the paper's latent (256x160 / 8 for 16 bands) is well within the activation
// budget; a factor-1 VAE's 4096x4096 latent with attention at full resolution is not (an (HW)^2 matrix).
TEST(ModelConfigFile, ActivationBudgetRefusesAttentionAtHugeLatents) {
    const UNetConfig paper = unetPreset(ModelPreset::Paper, 16);
    EXPECT_TRUE(checkActivationBudget(paper, 32, 20, 16).isOk());
    UNetConfig full = paper;
    full.attentionLevels = {0};
    const Status s = checkActivationBudget(full, 4096, 4096, 16);
    ASSERT_FALSE(s.isOk());
    EXPECT_NE(s.message().find("MiB allowed"), std::string::npos) << s.message();
}
