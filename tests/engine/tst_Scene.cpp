// Scene files: plain GoogleTest, no Qt.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "GTestSupport.h"
#include "TestSupport.h"
#include "io/SafetensorsFile.h"
#include "io/SafetensorsWriter.h"
#include "scene/Scene.h"

using namespace waft::engine;

namespace {

Scene sampleScene() {
    Scene scene;
    scene.volume = waft::test::sinusoidalVolume(40, 24, 3, 0.5f, 1, 2.0f);
    scene.volume.plane(2, 3)[7] = -0.25f;
    scene.settings.bandGains = {1.0f, 0.5f, 2.0f};
    scene.settings.dampingRatio = 0.2f;
    scene.settings.speed = 0.5f;
    scene.settings.loopSec = 6.0f;
    return scene;
}

// A scene file with one field replaced, built with the real writer.
std::string writeVariant(const std::string& dir, const std::string& name,
                         const std::function<void(SafetensorsWriter&, const Scene&)>& build) {
    const Scene scene = sampleScene();
    SafetensorsWriter writer;
    build(writer, scene);
    const std::string path = dir + "/" + name + ".waft";
    const auto bytes = writer.serialize();
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), long(bytes.size()));
    return path;
}

void addImage(SafetensorsWriter& w, const Scene& s) {
    std::vector<uint8_t> rgb(size_t(s.volume.width) * s.volume.height * 3, 100);
    w.addTensor("image", DType::U8, {s.volume.height, s.volume.width, 3}, rgb.data(), rgb.size());
}
void addMeta(SafetensorsWriter& w) {
    w.setMetadata("format", "waft-scene");
    w.setMetadata("version", "1");
}
void addSpectral(SafetensorsWriter& w, const Scene& s) {
    w.addFloat("spectral", {s.volume.bands, 4, s.volume.height, s.volume.width}, s.volume.coefficients.data());
    w.addFloat("frequencies_hz", {s.volume.bands}, s.volume.frequenciesHz.data());
}

// One invalid scene file: how to write it into a folder (returning its path), and a word the one-line error
// must contain.
struct InvalidScene {
    std::string name;
    std::string expected;
    std::function<std::string(const std::string& dir)> write;
};

std::vector<InvalidScene> invalidScenes() {
    std::vector<InvalidScene> rows;
    const auto variant = [&](const std::string& name, const char* word,
                             std::function<void(SafetensorsWriter&, const Scene&)> build) {
        rows.push_back({name, word, [name, build](const std::string& dir) { return writeVariant(dir, name, build); }});
    };
    variant("noformat", "not a Waft scene", [](SafetensorsWriter& w, const Scene& s) {
        addImage(w, s);
        addSpectral(w, s);
    });
    variant("version", "version", [](SafetensorsWriter& w, const Scene& s) {
        addImage(w, s);
        addSpectral(w, s);
        w.setMetadata("format", "waft-scene");
        w.setMetadata("version", "99");
    });
    variant("nospectral", "misshapen", [](SafetensorsWriter& w, const Scene& s) {
        addImage(w, s);
        addMeta(w);
    });
    variant("rank", "[K, 4, H, W]", [](SafetensorsWriter& w, const Scene& s) {
        addImage(w, s);
        addMeta(w);
        w.addFloat("spectral", {s.volume.bands * 4, s.volume.height, s.volume.width}, s.volume.coefficients.data());
    });
    variant("nan", "NaN", [](SafetensorsWriter& w, const Scene& s) {
        Scene bad = s;
        bad.volume.coefficients[5] = std::nanf("");
        addImage(w, s);
        addMeta(w);
        addSpectral(w, bad);
    });
    variant("freq", "frequency", [](SafetensorsWriter& w, const Scene& s) {
        Scene bad = s;
        bad.volume.frequenciesHz[0] = -1.0f;
        addImage(w, s);
        addMeta(w);
        addSpectral(w, bad);
    });
    variant("image", "'image' has shape", [](SafetensorsWriter& w, const Scene& s) {
        std::vector<uint8_t> rgb(10 * 10 * 3);
        w.addTensor("image", DType::U8, {10, 10, 3}, rgb.data(), rgb.size());
        addMeta(w);
        addSpectral(w, s);
    });
    variant("absurd", "absurd", [](SafetensorsWriter& w, const Scene&) {
        addMeta(w);
        w.addTensor("spectral", DType::F32, {1, 4, 100000, 0}, nullptr, 0);
    });
    variant("dtype", "floating", [](SafetensorsWriter& w, const Scene& s) {
        addImage(w, s);
        addMeta(w);
        std::vector<int32_t> ints(s.volume.coefficients.size());
        w.addTensor("spectral", DType::I32, {s.volume.bands, 4, s.volume.height, s.volume.width}, ints.data(),
                    ints.size() * 4);
        w.addFloat("frequencies_hz", {s.volume.bands}, s.volume.frequenciesHz.data());
    });
    variant("gains", "'band_gains' has shape", [](SafetensorsWriter& w, const Scene& s) {
        addImage(w, s);
        addMeta(w);
        addSpectral(w, s);
        const std::vector<float> g = {1, 1};
        w.addFloat("band_gains", {2}, g.data());
    });
    variant("settings", "settings", [](SafetensorsWriter& w, const Scene& s) {
        addImage(w, s);
        addMeta(w);
        addSpectral(w, s);
        w.setMetadata("settings", "{oops");
    });
    const auto withSource = [&](const char* name, const std::string& source, const char* word) {
        variant(name, word, [source](SafetensorsWriter& w, const Scene& s) {
            addImage(w, s);
            addMeta(w);
            addSpectral(w, s);
            w.setMetadata("source", source);
        });
    };
    withSource("source-json", "{", "source metadata");
    withSource("source-fields", R"({"video": 7, "start_sec": 0, "end_sec": 1})", "source metadata");
    withSource("source-range", R"({"video": "/v.mp4", "start_sec": 5, "end_sec": 2})", "source time range");
    withSource("source-negative", R"({"video": "/v.mp4", "start_sec": -1, "end_sec": 2})", "source time range");
    withSource("source-control", R"({"video": "/v\n.mp4", "start_sec": 0, "end_sec": 2})", "control characters");
    withSource("source-deep", std::string(100000, '[') + std::string(100000, ']'), "nested too deeply");
    variant("settings-deep", "nested too deeply", [](SafetensorsWriter& w, const Scene& s) {
        addImage(w, s);
        addMeta(w);
        addSpectral(w, s);
        w.setMetadata("settings", std::string(100000, '{'));
    });
    variant("damping", "damping", [](SafetensorsWriter& w, const Scene& s) {
        addImage(w, s);
        addMeta(w);
        addSpectral(w, s);
        w.setMetadata("settings", R"({"damping_ratio": 9})");
    });
    rows.push_back({"text", "limit", [](const std::string& dir) {
                        const std::string path = dir + "/text.waft";
                        std::ofstream(path) << "this is not a scene at all, just text";
                        return path;
                    }});
    rows.push_back({"missing", "cannot open", [](const std::string& dir) { return dir + "/does-not-exist.waft"; }});
    return rows;
}

}  // namespace

TEST(Scene, SaveLoadRoundTripFloat32IsExact) {
    const Scene scene = sampleScene();
    const std::string path = waft::test::tempDir("scene") + "/a.waft";
    ASSERT_TRUE(saveScene(path, scene, DType::F32).isOk());
    auto loaded = loadScene(path);
    ASSERT_TRUE(loaded.hasValue()) << loaded.status().message();
    EXPECT_EQ(loaded->volume.coefficients, scene.volume.coefficients);
    EXPECT_EQ(loaded->volume.frequenciesHz, scene.volume.frequenciesHz);
    EXPECT_FUZZY_EQ(cv::norm(loaded->volume.reference, scene.volume.reference, cv::NORM_INF), 0.0);
    EXPECT_EQ(loaded->settings.bandGains, scene.settings.bandGains);
    EXPECT_FUZZY_EQ(loaded->settings.dampingRatio, 0.2f);
    EXPECT_FUZZY_EQ(loaded->settings.speed, 0.5f);
    EXPECT_FUZZY_EQ(loaded->settings.loopSec, 6.0f);
    EXPECT_FUZZY_EQ(loaded->volume.sourceFps, 30.0f);
}

TEST(Scene, Float16StorageIsWithinHalfPrecision) {
    const Scene scene = sampleScene();
    const std::string path = waft::test::tempDir("scene16") + "/a.waft";
    ASSERT_TRUE(saveScene(path, scene, DType::F16).isOk());
    auto loaded = loadScene(path);
    ASSERT_TRUE(loaded.hasValue());
    for (size_t i = 0; i < scene.volume.coefficients.size(); ++i) {
        const float a = scene.volume.coefficients[i], b = loaded->volume.coefficients[i];
        ASSERT_TRUE(std::abs(a - b) <= std::abs(a) * (1.0f / 1024.0f) + 1e-7f) << i << ": " << a << " vs " << b;
    }
}

// Any safetensors tool reads a scene: the header is plain JSON with the documented names and dtypes.
TEST(Scene, FileIsPlainSafetensors) {
    const std::string path = waft::test::tempDir("scenefmt") + "/a.waft";
    ASSERT_TRUE(saveScene(path, sampleScene()).isOk());
    auto file = SafetensorsFile::open(path);
    ASSERT_TRUE(file.hasValue());
    EXPECT_EQ(file->find("spectral")->shape, (std::vector<int64_t>{3, 4, 24, 40}));
    EXPECT_EQ(file->find("spectral")->dtype, DType::F16);
    EXPECT_EQ(file->find("image")->shape, (std::vector<int64_t>{24, 40, 3}));
    EXPECT_EQ(file->metadata().at("format"), std::string("waft-scene"));
    EXPECT_TRUE(nlohmann::json::parse(file->metadata().at("settings")).contains("damping_ratio"));
}

class SceneInvalid : public ::testing::TestWithParam<InvalidScene> {};

TEST_P(SceneInvalid, IsRejectedWithOneLine) {
    const InvalidScene& row = GetParam();
    const std::string path = row.write(waft::test::tempDir("badscene"));
    auto scene = loadScene(path);
    ASSERT_FALSE(scene.hasValue());
    const std::string message = scene.status().message();
    EXPECT_NE(message.find(row.expected), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

INSTANTIATE_TEST_SUITE_P(Scene, SceneInvalid, ::testing::ValuesIn(invalidScenes()),
                         [](const auto& info) { return waft::test::paramName(info.param.name); });

// A video scene keeps its source and range through a save; clips are checked against it.
TEST(Scene, VideoSourceRoundTripsAndBoundsClips) {
    Scene scene = sampleScene();
    scene.source = {"/videos/tree.avi", 1.5, 13.9};
    const std::string path = waft::test::tempDir("source") + "/v.waft";
    ASSERT_TRUE(saveScene(path, scene).isOk());
    auto loaded = loadScene(path);
    ASSERT_TRUE(loaded.hasValue());
    EXPECT_EQ(loaded->source.videoPath, std::string("/videos/tree.avi"));
    EXPECT_FUZZY_EQ(loaded->source.startSec, 1.5);
    EXPECT_FUZZY_EQ(loaded->source.endSec, 13.9);
    auto clip = clipOf(loaded->source, 2.0, 6.0);
    ASSERT_TRUE(clip.hasValue());
    EXPECT_EQ(clip->videoPath, std::string("/videos/tree.avi"));
    EXPECT_FALSE(clipOf(loaded->source, 1.0, 6.0).hasValue());   // before the source
    EXPECT_FALSE(clipOf(loaded->source, 2.0, 14.5).hasValue());  // after it
    EXPECT_FALSE(clipOf(loaded->source, 3.0, 3.05).hasValue());  // too short
    EXPECT_FALSE(clipOf(loaded->source, std::nan(""), 3.0).hasValue());
    Scene badPath = sampleScene();
    badPath.source = {"/videos/\xff\xfe.avi", 0.0, 1.0};
    EXPECT_NE(badPath.validate().message().find("UTF-8"), std::string::npos);
    const auto photo = clipOf(SceneSource{}, 0.0, 1.0);
    EXPECT_TRUE(!photo.hasValue() && photo.status().message().find("photo") != std::string::npos);
    Scene photoScene = sampleScene();
    ASSERT_TRUE(saveScene(path, photoScene).isOk());
    EXPECT_FALSE(loadScene(path)->source.isVideo());
}

TEST(Scene, SaveRejectsInvalidSceneAndKeepsExistingFile) {
    const std::string path = waft::test::tempDir("keep") + "/a.waft";
    ASSERT_TRUE(saveScene(path, sampleScene()).isOk());
    Scene bad = sampleScene();
    bad.volume.coefficients[0] = INFINITY;
    EXPECT_FALSE(saveScene(path, bad).isOk());
    EXPECT_TRUE(loadScene(path).hasValue());
}
