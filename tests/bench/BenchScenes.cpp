#include "BenchScenes.h"

#include <cstdlib>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

namespace waft::bench {

engine::SpectralVolume benchScene(int w, int h, int bands, float amplitudePx) {
    engine::SpectralVolume v = engine::SpectralVolume::zeros(w, h, bands);
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (int j = 0; j < bands; ++j) {
        v.frequenciesHz[size_t(j)] = 0.2f * float(j + 1);
        for (int c = 0; c < 4; ++c) {
            cv::Mat coarse(h / 32 + 2, w / 32 + 2, CV_32F);
            for (int i = 0; i < int(coarse.total()); ++i) coarse.at<float>(i) = u(rng);
            cv::Mat plane(h, w, CV_32F, v.plane(j, c));
            cv::resize(coarse, plane, plane.size(), 0, 0, cv::INTER_CUBIC);
            plane *= amplitudePx / float(j + 1);
        }
    }
    const char* env = std::getenv("WAFT_DATA_DIR");
    const std::string dir = env && *env ? env : WAFT_DATA_DIR;
    cv::Mat photo = cv::imread(dir + "/nature-photos/life_by_Aitzol_Berasategi.jpg", cv::IMREAD_REDUCED_COLOR_2);
    if (photo.empty()) {
        photo.create(h / 8 + 1, w / 8 + 1, CV_8UC3);
        cv::randu(photo, 0, 255);
    }
    cv::resize(photo, v.reference, cv::Size(w, h), 0, 0, cv::INTER_AREA);
    v.sourceFps = 30.0f;
    v.sourceDurationSec = 5.0f;
    return v;
}

}  // namespace waft::bench
