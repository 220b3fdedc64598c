#include "raster/HoleFill.h"

#include <algorithm>
#include <cmath>

namespace waft::engine {

namespace {

// Push one level: mean of valid children. Returns false if the coarse level has no valid pixel at all.
bool push(const cv::Mat& fine, const std::vector<uint8_t>& fineHoles, cv::Mat& coarse,
          std::vector<uint8_t>& coarseHoles) {
    const int channels = fine.channels();
    const int cw = (fine.cols + 1) / 2;
    const int ch = (fine.rows + 1) / 2;
    coarse.create(ch, cw, fine.type());
    coarseHoles.assign(size_t(cw) * ch, 1);
    bool anyValid = false;
#pragma omp parallel for schedule(static) reduction(|| : anyValid)
    for (int y = 0; y < ch; ++y) {
        float* dst = coarse.ptr<float>(y);
        for (int x = 0; x < cw; ++x) {
            float sum[16] = {};
            int count = 0;
            for (int dy = 0; dy < 2; ++dy) {
                const int fy = 2 * y + dy;
                if (fy >= fine.rows) continue;
                const float* src = fine.ptr<float>(fy);
                for (int dx = 0; dx < 2; ++dx) {
                    const int fx = 2 * x + dx;
                    if (fx >= fine.cols || fineHoles[size_t(fy) * fine.cols + fx]) continue;
                    for (int c = 0; c < channels; ++c) sum[c] += src[fx * channels + c];
                    ++count;
                }
            }
            for (int c = 0; c < channels; ++c) dst[x * channels + c] = count ? sum[c] / float(count) : 0.0f;
            if (count) {
                coarseHoles[size_t(y) * cw + x] = 0;
                anyValid = true;
            }
        }
    }
    return anyValid;
}

// Pull: fill holes of `fine` from the complete `coarse` level by bilinear sampling.
void pull(cv::Mat& fine, const std::vector<uint8_t>& fineHoles, const cv::Mat& coarse) {
    const int channels = fine.channels();
#pragma omp parallel for schedule(static)
    for (int y = 0; y < fine.rows; ++y) {
        float* dst = fine.ptr<float>(y);
        for (int x = 0; x < fine.cols; ++x)
            if (fineHoles[size_t(y) * fine.cols + x]) pullSample(coarse, x, y, dst + size_t(x) * channels);
    }
}

}  // namespace

void pullSample(const cv::Mat& coarse, int x, int y, float* out) {
    const int channels = coarse.channels();
    const float cy = std::clamp((float(y) + 0.5f) * 0.5f - 0.5f, 0.0f, float(coarse.rows - 1));
    const int y0 = int(cy);
    const int y1 = std::min(y0 + 1, coarse.rows - 1);
    const float wy = cy - float(y0);
    const float* r0 = coarse.ptr<float>(y0);
    const float* r1 = coarse.ptr<float>(y1);
    const float cx = std::clamp((float(x) + 0.5f) * 0.5f - 0.5f, 0.0f, float(coarse.cols - 1));
    const int x0 = int(cx);
    const int x1 = std::min(x0 + 1, coarse.cols - 1);
    const float wx = cx - float(x0);
    for (int c = 0; c < channels; ++c) {
        const float top = r0[x0 * channels + c] * (1 - wx) + r0[x1 * channels + c] * wx;
        const float bottom = r1[x0 * channels + c] * (1 - wx) + r1[x1 * channels + c] * wx;
        out[c] = top * (1 - wy) + bottom * wy;
    }
}

void fillHolesPushPull(cv::Mat& image, const std::vector<uint8_t>& holes, PushPullScratch* scratch) {
    CV_Assert(image.depth() == CV_32F && image.channels() <= 16 && image.isContinuous());
    CV_Assert(holes.size() == size_t(image.rows) * size_t(image.cols));
    if (std::none_of(holes.begin(), holes.end(), [](uint8_t h) { return h != 0; })) return;

    PushPullScratch local;
    PushPullScratch& pyramid = scratch ? *scratch : local;
    std::vector<cv::Mat>& levels = pyramid.levels;
    std::vector<std::vector<uint8_t>>& levelHoles = pyramid.holes;
    if (levels.empty()) levels.emplace_back();
    if (levelHoles.empty()) levelHoles.emplace_back();
    levels[0] = image;
    levelHoles[0] = holes;  // same size as last time: no allocation
    size_t top = 0;
    for (;;) {
        const std::vector<uint8_t>& last = levelHoles[top];
        if (std::none_of(last.begin(), last.end(), [](uint8_t h) { return h != 0; })) break;
        if (levels[top].rows == 1 && levels[top].cols == 1) {  // nothing valid anywhere
            image.setTo(0.0);
            levels[0].release();  // the caller's image: do not keep it alive
            return;
        }
        if (levels.size() == top + 1) levels.emplace_back();
        if (levelHoles.size() == top + 1) levelHoles.emplace_back();
        push(levels[top], levelHoles[top], levels[top + 1], levelHoles[top + 1]);
        ++top;
    }
    for (size_t l = top; l-- > 0;) pull(levels[l], levelHoles[l], levels[l + 1]);
    levels[0].release();  // the caller's image: do not keep it alive
}

}  // namespace waft::engine
