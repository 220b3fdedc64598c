#include "analysis/MotionExtractor.h"

#include <algorithm>
#include <cmath>
#include <opencv2/calib3d.hpp>
#include <opencv2/imgproc.hpp>

#include "motion/MotionTexture.h"
#include "motion/SpectralTransform.h"

namespace waft::engine {

namespace {

// Removes the dominant global motion (camera shake) from a reference->frame flow: a RANSAC homography fit
// on a grid of flow samples, whose induced displacement is subtracted everywhere.
void removeGlobalMotion(cv::Mat& flow) {
    std::vector<cv::Point2f> from, to;
    const int step = std::max(4, std::min(flow.cols, flow.rows) / 48);
    for (int y = step / 2; y < flow.rows; y += step) {
        for (int x = step / 2; x < flow.cols; x += step) {
            const cv::Vec2f d = flow.at<cv::Vec2f>(y, x);
            from.emplace_back(float(x), float(y));
            to.emplace_back(float(x) + d[0], float(y) + d[1]);
        }
    }
    if (from.size() < 8) return;
    const cv::Mat h = cv::findHomography(from, to, cv::RANSAC, 0.5);
    if (h.empty()) return;
    cv::Mat hf;
    h.convertTo(hf, CV_64F);
    const double* m = hf.ptr<double>();
    for (int y = 0; y < flow.rows; ++y) {
        cv::Vec2f* row = flow.ptr<cv::Vec2f>(y);
        for (int x = 0; x < flow.cols; ++x) {
            const double w = m[6] * x + m[7] * y + m[8];
            if (std::abs(w) < 1e-9) continue;
            const double gx = (m[0] * x + m[1] * y + m[2]) / w - x;
            const double gy = (m[3] * x + m[4] * y + m[5]) / w - y;
            row[x][0] -= float(gx);
            row[x][1] -= float(gy);
        }
    }
}

// Composes the accumulated reference->previous flow with previous->current: d(p) += f(p + d(p)).
void chainFlow(cv::Mat& accumulated, const cv::Mat& step) {
    cv::Mat mapX(accumulated.size(), CV_32F), mapY(accumulated.size(), CV_32F);
    for (int y = 0; y < accumulated.rows; ++y) {
        const cv::Vec2f* d = accumulated.ptr<cv::Vec2f>(y);
        float* mx = mapX.ptr<float>(y);
        float* my = mapY.ptr<float>(y);
        for (int x = 0; x < accumulated.cols; ++x) {
            mx[x] = float(x) + d[x][0];
            my[x] = float(y) + d[x][1];
        }
    }
    cv::Mat sampled;
    cv::remap(step, sampled, mapX, mapY, cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    accumulated += sampled;
}

double medianInterval(const std::vector<double>& times) {
    std::vector<double> gaps;
    for (size_t i = 1; i < times.size(); ++i) gaps.push_back(times[i] - times[i - 1]);
    std::nth_element(gaps.begin(), gaps.begin() + long(gaps.size() / 2), gaps.end());
    return gaps[gaps.size() / 2];
}

}  // namespace

Expected<SpectralVolume> MotionExtractor::extract(const VideoFrames& video, const ExtractParams& params,
                                                  Progress::Range progress, const CancelToken& cancel) {
    const size_t n = video.frames.size();
    if (n < 5) return Status::invalid("need at least 5 frames to extract motion, got " + std::to_string(n));
    if (params.bands < 1 || params.bands > kMaxBands) return Status::invalid("band count must be 1..256");
    const cv::Mat& reference = video.frames.front();
    for (const cv::Mat& f : video.frames)
        if (f.size() != reference.size() || f.type() != CV_8UC3)
            return Status::invalid("all frames must be 8-bit colour of one size");

    // The uniform grid: step = median real interval, as many samples as fit in the clip.
    const double dt = medianInterval(video.timesSec);
    if (!(dt > 0.0)) return Status::invalid("frame timestamps do not increase");
    const double t0 = video.timesSec.front();
    const int frames = int(std::floor((video.timesSec.back() - t0) / dt + 1e-6)) + 1;
    const int bands = std::min(params.bands, (frames - 1) / 2);
    if (bands < 1) return Status::invalid("clip too short: " + std::to_string(frames) + " uniform samples");
    MotionTexture texture;
    texture.allocate(reference.cols, reference.rows, frames, float(1.0 / dt));

    // Flow from the reference to every frame; each new flow fills the uniform samples between the previous
    // frame's time and its own (linear interpolation), so only two flows are alive at a time.
    FlowEstimator estimator(params.flowMethod);
    cv::Mat previous = cv::Mat::zeros(reference.size(), CV_32FC2);
    int sample = 0;
    const auto fillSamples = [&](const cv::Mat& before, const cv::Mat& after, double tBefore, double tAfter,
                                 bool last) {
        for (; sample < frames; ++sample) {
            const double time = t0 + sample * dt;
            if (time > tAfter + 1e-9 && !last) break;
            const float a = float(std::clamp((time - tBefore) / (tAfter - tBefore), 0.0, 1.0));
            const cv::Vec2f* f0 = before.ptr<cv::Vec2f>();
            const cv::Vec2f* f1 = after.ptr<cv::Vec2f>();
            float* dx = texture.dx(sample);
            float* dy = texture.dy(sample);
            for (size_t p = 0; p < texture.planeSize(); ++p) {
                dx[p] = (1 - a) * f0[p][0] + a * f1[p][0];
                dy[p] = (1 - a) * f0[p][1] + a * f1[p][1];
            }
        }
    };
    for (size_t i = 1; i < n; ++i) {
        if (cancel.isCancelled()) return Status::cancelled();
        const cv::Mat& from = params.chaining == FlowChaining::Direct ? reference : video.frames[i - 1];
        auto step = estimator.compute(from, video.frames[i]);
        if (!step) return step.status();
        cv::Mat flow;
        if (params.chaining == FlowChaining::Direct) {
            flow = std::move(step).value();
        } else {
            flow = previous.clone();
            chainFlow(flow, *step);
        }
        if (params.stabilize) removeGlobalMotion(flow);
        fillSamples(previous, flow, video.timesSec[i - 1], video.timesSec[i], i + 1 == n);
        previous = flow;
        progress.report(0.85f * float(i) / float(n - 1), "optical flow");
    }
    if (cancel.isCancelled()) return Status::cancelled();
    progress.report(0.9f, "temporal FFT");

    // 3. GID eq. 2.
    auto volume = motionTextureToSpectral(texture, bands, reference);
    progress.report(1.0f, "done");
    return volume;
}

}  // namespace waft::engine
