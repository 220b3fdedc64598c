// What Waft expects an SD 1.5 model to hold, checked against the real tensor list of the public checkpoints
// (../shared/data/sd15: 1130 tensors with their diffusers and single-file names and shapes, and the 112 that
// Tune-A-Video's inflation adds). GoogleTest, torch-free.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "SdTestModels.h"
#include "TestSupport.h"
#include "ml/sd/SdNames.h"

using namespace waft::engine::sd;

namespace {

struct Row {
    std::string diffusers, singleFile, part, legacy;
    std::vector<int64_t> shape, singleFileShape;
};

std::vector<int64_t> parseShape(const std::string& text) {
    std::vector<int64_t> out;
    std::stringstream in(text);
    for (std::string d; std::getline(in, d, ',');)
        if (!d.empty()) out.push_back(std::stoll(d));
    return out;
}

std::vector<std::string> splitTabs(const std::string& line) {
    std::vector<std::string> out(1);
    for (const char c : line) {
        if (c == '\t')
            out.emplace_back();
        else
            out.back() += c;
    }
    return out;
}

std::vector<Row> readManifest() {
    std::ifstream in(waft::test::dataPath("sd15/manifest.tsv"));
    std::vector<Row> rows;
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        const auto f = splitTabs(line);
        if (f.size() < 5) continue;
        rows.push_back({f[0], f[1], f[3], f.size() > 5 ? f[5] : "", parseShape(f[2]), parseShape(f[4])});
    }
    return rows;
}

SdPart partOf(const std::string& name) {
    return name == "unet" ? SdPart::Unet : name == "vae" ? SdPart::Vae : SdPart::TextEncoder;
}

std::map<std::string, std::vector<int64_t>> asMap(const std::vector<TensorSpec>& tensors) {
    std::map<std::string, std::vector<int64_t>> out;
    for (const TensorSpec& t : tensors) out[t.name] = t.shape;
    return out;
}

}  // namespace

class SdTensors : public testing::Test {
protected:
    void SetUp() override {
        if (!waft::test::dataAvailable("sd15/manifest.tsv")) GTEST_SKIP() << "no ../shared/data/sd15 here";
        m_rows = readManifest();
        ASSERT_EQ(m_rows.size(), 1130u);
    }
    std::vector<Row> m_rows;
};

// Every part's expected names and shapes (diffusers layout) are exactly the manifest's, no more, no fewer.
TEST_F(SdTensors, ExpectedDiffusersTensorsAreExactlySd15s) {
    const SdConfig sd15;
    for (SdPart part : {SdPart::Unet, SdPart::Vae, SdPart::TextEncoder}) {
        std::map<std::string, std::vector<int64_t>> manifest;
        for (const Row& r : m_rows)
            if (partOf(r.part) == part) manifest[r.diffusers] = r.shape;
        const auto expected = partTensors(sd15, part);
        EXPECT_EQ(expected.size(), manifest.size()) << sdPartName(part);  // no name twice
        EXPECT_EQ(asMap(expected), manifest) << sdPartName(part);
    }
    // The totals the list's README gives.
    EXPECT_EQ(parameterCount(unetTensors(sd15.unet)), 859520964);
    EXPECT_EQ(parameterCount(vaeTensors(sd15.vae)), 83653863);
    EXPECT_EQ(parameterCount(textEncoderTensors(sd15.text)), 123060480);
}

// The single-file layout: every tensor's name (with its part's prefix) and shape, from the diffusers one.
TEST_F(SdTensors, SingleFileNamesAndShapesAreSd15s) {
    const SdConfig sd15;
    std::set<std::string> seen;
    for (const Row& r : m_rows) {
        const SdPart part = partOf(r.part);
        EXPECT_EQ(singleFileName(sd15, part, r.diffusers), r.singleFile) << r.diffusers;
        EXPECT_EQ(singleFileShape(part, r.diffusers, r.shape), r.singleFileShape) << r.diffusers;
        EXPECT_EQ(legacyDiffusersName(part, r.diffusers), r.legacy) << r.diffusers;
        seen.insert(r.singleFile);
    }
    EXPECT_EQ(seen.size(), m_rows.size());  // the map is one-to-one
    EXPECT_EQ(singleFileName(sd15, SdPart::Unet, "down_blocks.3.attentions.0.norm.weight"), "");  // no attention there
    EXPECT_EQ(singleFileName(sd15, SdPart::Unet, "down_blocks.9.resnets.0.norm1.weight"), "");
    EXPECT_EQ(singleFileName(sd15, SdPart::Vae, "decoder.up_blocks.0.resnets.3.norm1.weight"), "");
}

// Inflation adds norm_temp and attn_temp to each of the 16 transformer blocks: the 112 tensors (49.6 M
// parameters) of Tune-A-Video's checkpoints.
TEST_F(SdTensors, TemporalTensorsAreTuneAVideos) {
    std::ifstream in(waft::test::dataPath("sd15/tav_temporal_extra.tsv"));
    std::map<std::string, std::vector<int64_t>> tav;
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
        const auto f = splitTabs(line);
        if (f.size() >= 2) tav[f[0]] = parseShape(f[1]);
    }
    ASSERT_EQ(tav.size(), 112u);
    const auto temporal = temporalTensors(SdUNetConfig{});
    EXPECT_EQ(asMap(temporal), tav);
    EXPECT_NEAR(double(parameterCount(temporal)), 49.6e6, 0.05e6);
}

// Tiny configurations (the tests' models) keep the same structure: the single-file map stays one-to-one.
TEST(SdTensorsTiny, TinyConfigsMapOneToOne) {
    const SdConfig tiny = waft::test::tinySdConfig();
    for (SdPart part : {SdPart::Unet, SdPart::Vae, SdPart::TextEncoder}) {
        std::set<std::string> names;
        for (const TensorSpec& t : partTensors(tiny, part)) {
            const std::string single = singleFileName(tiny, part, t.name);
            EXPECT_FALSE(single.empty()) << t.name;
            names.insert(single);
        }
        EXPECT_EQ(names.size(), partTensors(tiny, part).size()) << sdPartName(part);
    }
}
