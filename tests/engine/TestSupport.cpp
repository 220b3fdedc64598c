#include "TestSupport.h"

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

namespace waft::test {

namespace {
int g_skips = 0;
}
void noteSkip() { ++g_skips; }
int skipsNoted() { return g_skips; }

std::string dataPath(const std::string& relative) {
    const char* env = std::getenv("WAFT_DATA_DIR");
    return std::string(env && *env ? env : WAFT_DATA_DIR) + "/" + relative;
}

bool dataAvailable(const std::string& relative) { return std::filesystem::exists(dataPath(relative)); }

long residentKiB() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    return -1;
}

std::string tempDir(const std::string& tag) {
    const auto dir =
        std::filesystem::temp_directory_path() / ("waft-test-" + tag + "-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir);
    return dir.string();
}

cv::Mat texturedImage(int width, int height) {
    const std::string photo = dataPath("nature-photos/life_by_Aitzol_Berasategi.jpg");
    cv::Mat image = cv::imread(photo, cv::IMREAD_REDUCED_COLOR_4);
    if (!image.empty()) {
        const cv::Rect crop(image.cols / 4, image.rows / 4, image.cols / 2, image.rows / 2);
        cv::resize(image(crop), image, cv::Size(width, height), 0, 0, cv::INTER_AREA);
        return image;
    }
    cv::Mat noise(height / 4 + 1, width / 4 + 1, CV_8UC3);
    cv::randu(noise, 0, 255);
    cv::resize(noise, image, cv::Size(width, height), 0, 0, cv::INTER_CUBIC);
    return image;
}

engine::SpectralVolume sinusoidalVolume(int width, int height, int bands, float baseHz, int activeBand,
                                        float amplitudePx, bool yMotion) {
    engine::SpectralVolume v = engine::SpectralVolume::zeros(width, height, bands);
    for (int j = 0; j < bands; ++j) v.frequenciesHz[size_t(j)] = float(j + 1) * baseHz;
    float* re = v.plane(activeBand, yMotion ? 2 : 0);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            re[size_t(y) * width + x] =
                amplitudePx * float(0.6 + 0.4 * std::sin(2.0 * M_PI * x / width) * std::cos(M_PI * y / height));
    v.reference = texturedImage(width, height);
    v.sourceFps = 30.0f;
    v.sourceDurationSec = 1.0f / baseHz;
    return v;
}

}  // namespace waft::test
