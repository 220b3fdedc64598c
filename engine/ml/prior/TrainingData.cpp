#include "ml/prior/TrainingData.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <opencv2/imgproc.hpp>

namespace fs = std::filesystem;

namespace waft::engine::prior {

std::vector<fs::path> filesIn(const std::string& dir, const std::vector<std::string>& extensions) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        std::string ext = entry.path().extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
        if (entry.is_regular_file() && std::find(extensions.begin(), extensions.end(), ext) != extensions.end())
            out.push_back(entry.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

int64_t samplesDrawn(const ModelMetadata& meta, int step, int batch) {
    const int world = std::clamp(metadataInt(meta, "world_size", 1), 1, 4096);
    const int64_t recorded = metadataInt64(meta, "samples_drawn", int64_t(step) * batch * world);
    return std::clamp(recorded, int64_t(0), int64_t(step) * batch * 4096);
}

std::string shardMarkerName(int index, int count) {
    return "dataset-shard-" + std::to_string(index) + "-of-" + std::to_string(count) + ".shard";
}

Status checkShardsComplete(const std::string& dir) {
    const std::vector<fs::path> markers = filesIn(dir, {".shard"});
    if (markers.empty()) return Status::ok();
    int count = 0;
    std::vector<bool> done;
    for (const fs::path& m : markers) {
        // "dataset-shard-<i>-of-<n>.shard", exactly as shardMarkerName writes it.
        int i = -1, n = 0;
        const std::string name = m.filename().string();
        const char* p = name.c_str() + std::min(name.size(), std::strlen("dataset-shard-"));
        const char* end = name.c_str() + name.size();
        const auto first = std::from_chars(p, end, i);
        if (first.ec == std::errc() && end - first.ptr > 4 && std::strncmp(first.ptr, "-of-", 4) == 0)
            std::from_chars(first.ptr + 4, end, n);
        if (n < 1 || n > 4096 || i < 0 || i >= n || name != shardMarkerName(i, n))
            return Status::corrupt(m.string() + ": not a dataset shard marker");
        if (count != 0 && n != count)
            return Status::invalid(dir + " mixes shards of " + std::to_string(count) + " and " + std::to_string(n));
        count = n;
        done.resize(size_t(n));
        done[size_t(i)] = true;
    }
    for (int i = 0; i < count; ++i)
        if (!done[size_t(i)])
            return Status::invalid(dir + ": dataset shard " + std::to_string(i) + "/" + std::to_string(count) +
                                   " is missing or unfinished (waft-cli dataset ... --shard " + std::to_string(i) +
                                   "/" + std::to_string(count) + ")");
    return Status::ok();
}

double meanMotion(const SpectralVolume& v) {
    double sum = 0.0;
    for (size_t i = 0; i < v.planeSize(); ++i) {
        double a = 0.0;
        for (int j = 0; j < v.bands; ++j)
            for (int c = 0; c < 4; ++c) a += double(v.plane(j, c)[i]) * v.plane(j, c)[i];
        sum += std::sqrt(a);
    }
    return sum / double(v.planeSize());
}

Expected<std::vector<Scene>> loadTrainingSet(const std::string& dir, int width, int height) {
    WAFT_RETURN_IF_ERROR(checkShardsComplete(dir));
    std::vector<Scene> scenes;
    for (const fs::path& path : filesIn(dir, {".waft"})) {
        auto scene = loadScene(path.string());
        if (!scene) return scene.status();
        if (!scenes.empty() && scene->volume.bands != scenes.front().volume.bands)
            return Status::invalid(path.string() + ": has " + std::to_string(scene->volume.bands) +
                                   " bands, the dataset " + std::to_string(scenes.front().volume.bands));
        scene->volume = scene->volume.resized(width, height);
        scenes.push_back(std::move(scene).value());
    }
    if (scenes.empty()) return Status::invalid("no .waft scenes in " + dir + " (build one with waft-cli dataset)");
    return scenes;
}

torch::Tensor coefficients(const SpectralVolume& v) {
    return torch::from_blob(const_cast<float*>(v.coefficients.data()), {v.bands, 4, v.height, v.width}, torch::kFloat32)
        .clone();
}

torch::Tensor conditionFor(const cv::Mat& bgr, int width, int height) {
    cv::Mat small, rgb;
    cv::resize(bgr, small, cv::Size(width, height), 0, 0, cv::INTER_AREA);
    cv::cvtColor(small, rgb, cv::COLOR_BGR2RGB);
    return torch::from_blob(rgb.data, {height, width, 3}, torch::kUInt8)
                   .to(torch::kFloat32)
                   .permute({2, 0, 1})
                   .contiguous() /
               127.5 -
           1.0;
}

float median(std::vector<float> v) {
    std::nth_element(v.begin(), v.begin() + long(v.size() / 2), v.end());
    return v[v.size() / 2];
}

std::string trainingSummary(int firstStep, int steps, float lastLoss) {
    char loss[32];
    std::snprintf(loss, sizeof loss, "%.5f", lastLoss);
    return "steps " + std::to_string(firstStep) + " to " + std::to_string(steps) + ", last loss " + loss;
}

}  // namespace waft::engine::prior
