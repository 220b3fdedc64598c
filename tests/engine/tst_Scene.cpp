#include "QtTestSupport.h"
#include <QtTest>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

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

}  // namespace

class tst_Scene : public QObject {
    Q_OBJECT
private slots:
    void saveLoadRoundTripFloat32IsExact() {
        const Scene scene = sampleScene();
        const std::string path = waft::test::tempDir("scene") + "/a.waft";
        QVERIFY(saveScene(path, scene, DType::F32).isOk());
        auto loaded = loadScene(path);
        QVERIFY2(loaded.hasValue(), loaded.status().message().c_str());
        QCOMPARE(loaded->volume.coefficients, scene.volume.coefficients);
        QCOMPARE(loaded->volume.frequenciesHz, scene.volume.frequenciesHz);
        QCOMPARE(cv::norm(loaded->volume.reference, scene.volume.reference, cv::NORM_INF), 0.0);
        QCOMPARE(loaded->settings.bandGains, scene.settings.bandGains);
        QCOMPARE(loaded->settings.dampingRatio, 0.2f);
        QCOMPARE(loaded->settings.speed, 0.5f);
        QCOMPARE(loaded->settings.loopSec, 6.0f);
        QCOMPARE(loaded->volume.sourceFps, 30.0f);
    }

    void float16StorageIsWithinHalfPrecision() {
        const Scene scene = sampleScene();
        const std::string path = waft::test::tempDir("scene16") + "/a.waft";
        QVERIFY(saveScene(path, scene, DType::F16).isOk());
        auto loaded = loadScene(path);
        QVERIFY(loaded.hasValue());
        for (size_t i = 0; i < scene.volume.coefficients.size(); ++i) {
            const float a = scene.volume.coefficients[i], b = loaded->volume.coefficients[i];
            QVERIFY(std::abs(a - b) <= std::abs(a) * (1.0f / 1024.0f) + 1e-7f);
        }
    }

    // Any safetensors tool reads a scene: the header is plain JSON with the documented names and dtypes.
    void fileIsPlainSafetensors() {
        const std::string path = waft::test::tempDir("scenefmt") + "/a.waft";
        QVERIFY(saveScene(path, sampleScene()).isOk());
        auto file = SafetensorsFile::open(path);
        QVERIFY(file.hasValue());
        QCOMPARE(file->find("spectral")->shape, (std::vector<int64_t>{3, 4, 24, 40}));
        QCOMPARE(file->find("spectral")->dtype, DType::F16);
        QCOMPARE(file->find("image")->shape, (std::vector<int64_t>{24, 40, 3}));
        QCOMPARE(file->metadata().at("format"), std::string("waft-scene"));
        QVERIFY(nlohmann::json::parse(file->metadata().at("settings")).contains("damping_ratio"));
    }

    void rejectsInvalidScenes_data() {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("expected");
        const std::string dir = waft::test::tempDir("badscene");
        const auto row = [](const std::string& path, const char* word) {
            QTest::newRow(word) << QString::fromStdString(path) << QString(word);
        };
        const auto spectral = [](SafetensorsWriter& w, const Scene& s) {
            w.addFloat("spectral", {s.volume.bands, 4, s.volume.height, s.volume.width}, s.volume.coefficients.data());
            w.addFloat("frequencies_hz", {s.volume.bands}, s.volume.frequenciesHz.data());
        };
        row(writeVariant(dir, "noformat",
                         [&](SafetensorsWriter& w, const Scene& s) {
                             addImage(w, s);
                             spectral(w, s);
                         }),
            "not a Waft scene");
        row(writeVariant(dir, "version",
                         [&](SafetensorsWriter& w, const Scene& s) {
                             addImage(w, s);
                             spectral(w, s);
                             w.setMetadata("format", "waft-scene");
                             w.setMetadata("version", "99");
                         }),
            "version");
        row(writeVariant(dir, "nospectral",
                         [&](SafetensorsWriter& w, const Scene& s) {
                             addImage(w, s);
                             addMeta(w);
                         }),
            "misshapen");
        row(writeVariant(dir, "rank",
                         [&](SafetensorsWriter& w, const Scene& s) {
                             addImage(w, s);
                             addMeta(w);
                             w.addFloat("spectral", {s.volume.bands * 4, s.volume.height, s.volume.width},
                                        s.volume.coefficients.data());
                         }),
            "[K, 4, H, W]");
        row(writeVariant(dir, "nan",
                         [&](SafetensorsWriter& w, const Scene& s) {
                             Scene bad = s;
                             bad.volume.coefficients[5] = std::nanf("");
                             addImage(w, s);
                             addMeta(w);
                             spectral(w, bad);
                         }),
            "NaN");
        row(writeVariant(dir, "freq",
                         [&](SafetensorsWriter& w, const Scene& s) {
                             Scene bad = s;
                             bad.volume.frequenciesHz[0] = -1.0f;
                             addImage(w, s);
                             addMeta(w);
                             spectral(w, bad);
                         }),
            "frequency");
        row(writeVariant(dir, "image",
                         [&](SafetensorsWriter& w, const Scene& s) {
                             std::vector<uint8_t> rgb(10 * 10 * 3);
                             w.addTensor("image", DType::U8, {10, 10, 3}, rgb.data(), rgb.size());
                             addMeta(w);
                             spectral(w, s);
                         }),
            "'image' has shape");
        row(writeVariant(dir, "absurd",
                         [&](SafetensorsWriter& w, const Scene& s) {
                             addMeta(w);
                             w.addTensor("spectral", DType::F32, {1, 4, 100000, 0}, nullptr, 0);
                         }),
            "absurd");
        row(writeVariant(dir, "dtype",
                         [&](SafetensorsWriter& w, const Scene& s) {
                             addImage(w, s);
                             addMeta(w);
                             std::vector<int32_t> ints(s.volume.coefficients.size());
                             w.addTensor("spectral", DType::I32, {s.volume.bands, 4, s.volume.height, s.volume.width},
                                         ints.data(), ints.size() * 4);
                             w.addFloat("frequencies_hz", {s.volume.bands}, s.volume.frequenciesHz.data());
                         }),
            "floating");
        row(writeVariant(dir, "gains",
                         [&](SafetensorsWriter& w, const Scene& s) {
                             addImage(w, s);
                             addMeta(w);
                             spectral(w, s);
                             const std::vector<float> g = {1, 1};
                             w.addFloat("band_gains", {2}, g.data());
                         }),
            "'band_gains' has shape");
        row(writeVariant(dir, "settings",
                         [&](SafetensorsWriter& w, const Scene& s) {
                             addImage(w, s);
                             addMeta(w);
                             spectral(w, s);
                             w.setMetadata("settings", "{oops");
                         }),
            "settings");
        const auto withSource = [&](const char* name, const std::string& source, const char* word) {
            row(writeVariant(dir, name,
                             [&](SafetensorsWriter& w, const Scene& s) {
                                 addImage(w, s);
                                 addMeta(w);
                                 spectral(w, s);
                                 w.setMetadata("source", source);
                             }),
                word);
        };
        withSource("source-json", "{", "source metadata");
        withSource("source-fields", R"({"video": 7, "start_sec": 0, "end_sec": 1})", "source metadata");
        withSource("source-range", R"({"video": "/v.mp4", "start_sec": 5, "end_sec": 2})", "source time range");
        withSource("source-negative", R"({"video": "/v.mp4", "start_sec": -1, "end_sec": 2})", "source time range");
        withSource("source-control", R"({"video": "/v\n.mp4", "start_sec": 0, "end_sec": 2})", "control characters");
        withSource("source-deep", std::string(100000, '[') + std::string(100000, ']'), "nested too deeply");
        row(writeVariant(dir, "settings-deep",
                         [&](SafetensorsWriter& w, const Scene& s) {
                             addImage(w, s);
                             addMeta(w);
                             spectral(w, s);
                             w.setMetadata("settings", std::string(100000, '{'));
                         }),
            "nested too deeply");
        row(writeVariant(dir, "damping",
                         [&](SafetensorsWriter& w, const Scene& s) {
                             addImage(w, s);
                             addMeta(w);
                             spectral(w, s);
                             w.setMetadata("settings", R"({"damping_ratio": 9})");
                         }),
            "damping");
        {
            const std::string path = dir + "/text.waft";
            std::ofstream(path) << "this is not a scene at all, just text";
            row(path, "limit");
        }
        row(dir + "/does-not-exist.waft", "cannot open");
    }
    void rejectsInvalidScenes() {
        QFETCH(QString, path);
        QFETCH(QString, expected);
        auto scene = loadScene(path.toStdString());
        QVERIFY(!scene.hasValue());
        const QString message = QString::fromStdString(scene.status().message());
        QVERIFY2(message.contains(expected), qPrintable(message));
        QVERIFY(!message.contains('\n'));
    }

    // A video scene keeps its source and range through a save; clips are checked against it.
    void videoSourceRoundTripsAndBoundsClips() {
        Scene scene = sampleScene();
        scene.source = {"/videos/tree.avi", 1.5, 13.9};
        const std::string path = waft::test::tempDir("source") + "/v.waft";
        QVERIFY(saveScene(path, scene).isOk());
        auto loaded = loadScene(path);
        QVERIFY(loaded.hasValue());
        QCOMPARE(loaded->source.videoPath, std::string("/videos/tree.avi"));
        QCOMPARE(loaded->source.startSec, 1.5);
        QCOMPARE(loaded->source.endSec, 13.9);
        auto clip = clipOf(loaded->source, 2.0, 6.0);
        QVERIFY(clip.hasValue());
        QCOMPARE(clip->videoPath, std::string("/videos/tree.avi"));
        QVERIFY(!clipOf(loaded->source, 1.0, 6.0).hasValue());   // before the source
        QVERIFY(!clipOf(loaded->source, 2.0, 14.5).hasValue());  // after it
        QVERIFY(!clipOf(loaded->source, 3.0, 3.05).hasValue());  // too short
        QVERIFY(!clipOf(loaded->source, std::nan(""), 3.0).hasValue());
        Scene badPath = sampleScene();
        badPath.source = {"/videos/\xff\xfe.avi", 0.0, 1.0};
        QVERIFY(badPath.validate().message().find("UTF-8") != std::string::npos);
        const auto photo = clipOf(SceneSource{}, 0.0, 1.0);
        QVERIFY(!photo.hasValue() && photo.status().message().find("photo") != std::string::npos);
        Scene photoScene = sampleScene();
        QVERIFY(saveScene(path, photoScene).isOk());
        QVERIFY(!loadScene(path)->source.isVideo());
    }

    void saveRejectsInvalidSceneAndKeepsExistingFile() {
        const std::string path = waft::test::tempDir("keep") + "/a.waft";
        QVERIFY(saveScene(path, sampleScene()).isOk());
        Scene bad = sampleScene();
        bad.volume.coefficients[0] = INFINITY;
        QVERIFY(!saveScene(path, bad).isOk());
        QVERIFY(loadScene(path).hasValue());
    }
};

WAFT_TEST_MAIN(tst_Scene)
#include "tst_Scene.moc"
