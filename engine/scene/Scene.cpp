#include "scene/Scene.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "core/JsonLimits.h"
#include "io/SafetensorsFile.h"
#include "io/SafetensorsWriter.h"

namespace waft::engine {

namespace {
constexpr const char* kFormat = "waft-scene";
constexpr const char* kVersion = "1";

float finiteOr(const nlohmann::json& j, const char* key, float fallback) {
    const auto it = j.find(key);
    if (it == j.end() || !it->is_number()) return fallback;
    const float v = it->get<float>();
    return std::isfinite(v) ? v : fallback;
}
}  // namespace

Status Scene::validate() const {
    WAFT_RETURN_IF_ERROR(volume.validate());
    if (!settings.bandGains.empty() && settings.bandGains.size() != size_t(volume.bands))
        return Status::invalid("scene has " + std::to_string(settings.bandGains.size()) + " band gains for " +
                               std::to_string(volume.bands) + " bands");
    for (float g : settings.bandGains)
        if (!std::isfinite(g) || std::abs(g) > 100.0f) return Status::invalid("band gain out of range");
    if (!std::isfinite(settings.globalGain) || std::abs(settings.globalGain) > 100.0f)
        return Status::invalid("global gain out of range");
    if (!std::isfinite(settings.speed) || settings.speed <= 0.0f || settings.speed > 100.0f)
        return Status::invalid("speed must be in (0, 100]");
    if (!std::isfinite(settings.dampingRatio) || settings.dampingRatio < 0.0f || settings.dampingRatio > 2.0f)
        return Status::invalid("damping ratio must be in [0, 2]");
    if (source.isVideo()) {
        if (source.videoPath.size() > 4096) return Status::invalid("source video path is too long");
        if (!isValidUtf8(source.videoPath)) return Status::invalid("source video path is not valid UTF-8");
        for (char c : source.videoPath)
            if (static_cast<unsigned char>(c) < 0x20)
                return Status::invalid("source video path has control characters");
        if (!std::isfinite(source.startSec) || !std::isfinite(source.endSec) || source.startSec < 0.0 ||
            source.endSec <= source.startSec || source.endSec > 1e7)
            return Status::invalid("source time range must satisfy 0 <= start < end");
    }
    if (!std::isfinite(settings.loopSec) || settings.loopSec < 0.0f || settings.loopSec > 3600.0f)
        return Status::invalid("loop length must be in [0, 3600] s");
    return Status::ok();
}

Expected<VideoClip> clipOf(const SceneSource& source, double inSec, double outSec) {
    if (!source.isVideo())
        return Status::invalid("this scene was made from a photo: video jobs need a scene made from a video");
    if (!std::isfinite(inSec) || !std::isfinite(outSec) || inSec < source.startSec - 1e-6 ||
        outSec > source.endSec + 1e-6)
        return Status::invalid("the clip must lie within the source range " + std::to_string(source.startSec) + "-" +
                               std::to_string(source.endSec) + " s");
    if (outSec - inSec < 0.1) return Status::invalid("the clip must be at least 0.1 s long");
    return VideoClip{source.videoPath, inSec, outSec};
}

Status saveScene(const std::string& path, const Scene& scene, DType storage) {
    WAFT_RETURN_IF_ERROR(scene.validate());
    const SpectralVolume& v = scene.volume;
    SafetensorsWriter writer;
    cv::Mat rgb;
    cv::cvtColor(v.reference, rgb, cv::COLOR_BGR2RGB);
    WAFT_RETURN_IF_ERROR(writer.addTensor("image", DType::U8, {v.height, v.width, 3}, rgb.data, rgb.total() * 3));
    WAFT_RETURN_IF_ERROR(writer.addFloat("spectral", {v.bands, 4, v.height, v.width}, v.coefficients.data(), storage));
    WAFT_RETURN_IF_ERROR(writer.addFloat("frequencies_hz", {v.bands}, v.frequenciesHz.data()));
    std::vector<float> gains = scene.settings.bandGains;
    gains.resize(size_t(v.bands), 1.0f);
    WAFT_RETURN_IF_ERROR(writer.addFloat("band_gains", {v.bands}, gains.data()));
    writer.setMetadata("format", kFormat);
    writer.setMetadata("version", kVersion);
    writer.setMetadata("source_fps", std::to_string(v.sourceFps));
    writer.setMetadata("source_duration_sec", std::to_string(v.sourceDurationSec));
    const nlohmann::json settings = {{"global_gain", scene.settings.globalGain},
                                     {"damping_ratio", scene.settings.dampingRatio},
                                     {"speed", scene.settings.speed},
                                     {"loop_sec", scene.settings.loopSec}};
    writer.setMetadata("settings", settings.dump());
    if (scene.source.isVideo()) {
        const nlohmann::json source = {
            {"video", scene.source.videoPath}, {"start_sec", scene.source.startSec}, {"end_sec", scene.source.endSec}};
        writer.setMetadata("source", source.dump());
    }
    return writer.save(path).withContext(path);
}

Expected<Scene> loadScene(const std::string& path) {
    auto file = SafetensorsFile::open(path);
    if (!file) return file.status();
    const auto& meta = file->metadata();
    const auto format = meta.find("format");
    if (format == meta.end() || format->second != kFormat)
        return Status::corrupt(path + ": a safetensors file but not a Waft scene (metadata format != waft-scene)");
    const auto version = meta.find("version");
    if (version == meta.end() || version->second != kVersion)
        return Status::corrupt(path + ": unsupported Waft scene version");

    const TensorInfo* spectral = file->find("spectral");
    if (!spectral || spectral->shape.size() != 4 || spectral->shape[1] != 4)
        return Status::corrupt(path + ": missing or misshapen 'spectral' tensor, expected [K, 4, H, W]");
    const int64_t k = spectral->shape[0], h = spectral->shape[2], w = spectral->shape[3];
    if (k < 1 || k > kMaxBands || h < 1 || w < 1 || h > kMaxImageSide || w > kMaxImageSide)
        return Status::corrupt(path + ": absurd scene size " + std::to_string(w) + "x" + std::to_string(h) + ", " +
                               std::to_string(k) + " bands");
    Scene scene;
    SpectralVolume& v = scene.volume;
    v.width = int(w);
    v.height = int(h);
    v.bands = int(k);
    auto coefficients = file->readFloat("spectral", {k, 4, h, w});
    if (!coefficients) return coefficients.status().withContext(path);
    v.coefficients = std::move(coefficients).value();
    auto freqs = file->readFloat("frequencies_hz", {k});
    if (!freqs) return freqs.status().withContext(path);
    v.frequenciesHz = std::move(freqs).value();
    auto image = file->readU8("image", {h, w, 3});
    if (!image) return image.status().withContext(path);
    const cv::Mat rgb(int(h), int(w), CV_8UC3, image->data());
    cv::cvtColor(rgb, v.reference, cv::COLOR_RGB2BGR);
    if (file->find("band_gains")) {
        auto gains = file->readFloat("band_gains", {k});
        if (!gains) return gains.status().withContext(path);
        scene.settings.bandGains = std::move(gains).value();
    }
    const auto number = [&](const char* key) {
        const auto it = meta.find(key);
        if (it == meta.end()) return 0.0f;
        try {
            const float value = std::stof(it->second);
            return std::isfinite(value) ? value : 0.0f;
        } catch (...) {
            return 0.0f;
        }
    };
    v.sourceFps = number("source_fps");
    v.sourceDurationSec = number("source_duration_sec");
    const auto settingsIt = meta.find("settings");
    if (settingsIt != meta.end()) {
        if (!jsonNestingWithin(settingsIt->second, 4))
            return Status::corrupt(path + ": settings metadata is nested too deeply");
        const auto json = nlohmann::json::parse(settingsIt->second, nullptr, false);
        if (json.is_discarded() || !json.is_object()) return Status::corrupt(path + ": settings metadata is not JSON");
        scene.settings.globalGain = finiteOr(json, "global_gain", 1.0f);
        scene.settings.dampingRatio = finiteOr(json, "damping_ratio", 0.08f);
        scene.settings.speed = finiteOr(json, "speed", 1.0f);
        scene.settings.loopSec = finiteOr(json, "loop_sec", 0.0f);
    }
    const auto sourceIt = meta.find("source");
    if (sourceIt != meta.end()) {
        if (!jsonNestingWithin(sourceIt->second, 4))
            return Status::corrupt(path + ": source metadata is nested too deeply");
        const auto json = nlohmann::json::parse(sourceIt->second, nullptr, false);
        const auto video = json.is_object() ? json.find("video") : json.end();
        const auto start = json.is_object() ? json.find("start_sec") : json.end();
        const auto end = json.is_object() ? json.find("end_sec") : json.end();
        if (json.is_discarded() || !json.is_object() || video == json.end() || !video->is_string() ||
            start == json.end() || !start->is_number() || end == json.end() || !end->is_number())
            return Status::corrupt(path + ": source metadata is not {\"video\", \"start_sec\", \"end_sec\"}");
        scene.source = {video->get<std::string>(), start->get<double>(), end->get<double>()};
    }
    const Status valid = scene.validate();
    if (!valid) return valid.withContext(path);
    return scene;
}

std::string sceneInfoJson(const Scene& scene) {
    const SpectralVolume& v = scene.volume;
    nlohmann::ordered_json info;
    info["width"] = v.width;
    info["height"] = v.height;
    info["bands"] = v.bands;
    info["frequencies_hz"] = v.frequenciesHz;
    info["source_fps"] = v.sourceFps;
    info["source_duration_sec"] = v.sourceDurationSec;
    if (scene.source.isVideo())
        info["source_video"] = {
            {"path", scene.source.videoPath}, {"start_sec", scene.source.startSec}, {"end_sec", scene.source.endSec}};
    // Per band: mean and max amplitude |S_j| = sqrt(|Sx|^2 + |Sy|^2) in pixels.
    nlohmann::ordered_json bands = nlohmann::ordered_json::array();
    for (int j = 0; j < v.bands; ++j) {
        double sum = 0.0, peak = 0.0;
        for (size_t i = 0; i < v.planeSize(); ++i) {
            double a = 0.0;
            for (int c = 0; c < 4; ++c) a += double(v.plane(j, c)[i]) * v.plane(j, c)[i];
            a = std::sqrt(a);
            sum += a;
            peak = std::max(peak, a);
        }
        bands.push_back({{"frequency_hz", v.frequenciesHz[size_t(j)]},
                         {"mean_amplitude_px", sum / double(v.planeSize())},
                         {"max_amplitude_px", peak}});
    }
    info["band_amplitudes"] = bands;
    info["settings"] = {{"global_gain", scene.settings.globalGain},
                        {"band_gains", scene.settings.bandGains},
                        {"damping_ratio", scene.settings.dampingRatio},
                        {"speed", scene.settings.speed},
                        {"loop_sec", scene.settings.loopSec}};
    return info.dump(2);
}

}  // namespace waft::engine
