#include "ml/sd/TinyWorldJudge.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace waft::engine::sd {

namespace {

struct FrameShape {
    bool found = false;
    cv::Point2d centroid;
    double fill = 0.0;
    int hueBin = 0;
};

// Hues (OpenCV 0..180) of the palette, in WorldColour order.
constexpr std::array<double, kWorldColours> kHues = {0, 60, 118, 30, 150};

WorldColour nearestColour(double hue) {
    int best = 0;
    double bestDistance = 1e9;
    for (int i = 0; i < kWorldColours; ++i) {
        const double d = std::min(std::fabs(hue - kHues[size_t(i)]), 180.0 - std::fabs(hue - kHues[size_t(i)]));
        if (d < bestDistance) bestDistance = d, best = i;
    }
    return WorldColour(best);
}

FrameShape analyse(const cv::Mat& bgr) {
    FrameShape out;
    cv::Mat hsv;
    cv::cvtColor(bgr, hsv, cv::COLOR_BGR2HSV);
    cv::Mat mask;
    cv::inRange(hsv, cv::Scalar(0, 150, 150), cv::Scalar(180, 255, 255), mask);  // saturation and value > ~0.6
    // The largest connected blob is the shape (samples may have specks).
    cv::Mat labels, stats, centroids;
    const int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8);
    int best = -1, bestArea = 0;
    for (int i = 1; i < n; ++i)
        if (stats.at<int>(i, cv::CC_STAT_AREA) > bestArea) bestArea = stats.at<int>(i, cv::CC_STAT_AREA), best = i;
    if (best < 0 || bestArea < 6) return out;
    out.found = true;
    out.centroid = {centroids.at<double>(best, 0) / bgr.cols, centroids.at<double>(best, 1) / bgr.rows};
    const int bw = stats.at<int>(best, cv::CC_STAT_WIDTH), bh = stats.at<int>(best, cv::CC_STAT_HEIGHT);
    out.fill = double(bestArea) / double(std::max(1, bw * bh));
    // The blob's mean hue, on the circle (red wraps at 0/180).
    double sx = 0, sy = 0;
    for (int y = 0; y < bgr.rows; ++y)
        for (int x = 0; x < bgr.cols; ++x)
            if (labels.at<int>(y, x) == best) {
                const double angle = hsv.at<cv::Vec3b>(y, x)[0] * (2.0 * 3.14159265358979 / 180.0);
                sx += std::cos(angle);
                sy += std::sin(angle);
            }
    double hue = std::atan2(sy, sx) * 180.0 / (2.0 * 3.14159265358979);
    if (hue < 0) hue += 180.0;
    out.hueBin = int(nearestColour(hue));
    return out;
}

WorldShape shapeOfFill(double fill) {
    return fill > 0.9 ? WorldShape::Square : fill > 0.615 ? WorldShape::Ball : WorldShape::Triangle;
}

WorldPath classifyPath(const std::vector<cv::Point2d>& track) {
    const cv::Point2d net = track.back() - track.front();
    double minX = 1, maxX = 0, minY = 1, maxY = 0, length = 0;
    int turns = 0, lastSign = 0;
    for (size_t i = 0; i < track.size(); ++i) {
        minX = std::min(minX, track[i].x), maxX = std::max(maxX, track[i].x);
        minY = std::min(minY, track[i].y), maxY = std::max(maxY, track[i].y);
        if (i == 0) continue;
        const cv::Point2d step = track[i] - track[i - 1];
        length += std::hypot(step.x, step.y);
        const int sign = step.y > 0.02 ? 1 : step.y < -0.02 ? -1 : 0;
        if (sign != 0 && lastSign != 0 && sign != lastSign) ++turns;
        if (sign != 0) lastSign = sign;
    }
    const double rangeX = maxX - minX, rangeY = maxY - minY, netLength = std::hypot(net.x, net.y);
    if (netLength < 0.15) {  // it came back: a circle spans both axes, a bounce only the vertical one
        if (rangeX > 0.25 && rangeY > 0.25) return WorldPath::Circle;
        return WorldPath::Bounce;
    }
    if (std::fabs(net.x) > std::fabs(net.y) && turns >= 2 && length > 1.5 * netLength) return WorldPath::ZigZag;
    if (std::fabs(net.x) >= std::fabs(net.y)) return net.x < 0 ? WorldPath::Left : WorldPath::Right;
    return net.y < 0 ? WorldPath::Up : WorldPath::Down;
}

}  // namespace

WorldJudgement judgeWorldClip(const std::vector<cv::Mat>& frames) {
    WorldJudgement out;
    std::vector<cv::Point2d> track;
    std::array<int, kWorldColours> colourVotes{};
    std::vector<double> fills;
    for (const cv::Mat& frame : frames) {
        const FrameShape s = analyse(frame);
        out.track.push_back(s.found ? std::optional<cv::Point2d>(s.centroid) : std::nullopt);
        out.frameColours.push_back(s.found ? std::optional<WorldColour>(WorldColour(s.hueBin)) : std::nullopt);
        out.frameShapes.push_back(s.found ? std::optional<WorldShape>(shapeOfFill(s.fill)) : std::nullopt);
        if (!s.found) continue;
        track.push_back(s.centroid);
        ++colourVotes[size_t(s.hueBin)];
        fills.push_back(s.fill);
    }
    if (track.size() * 2 < frames.size() || track.size() < 2) return out;
    out.found = true;
    out.colour = WorldColour(std::max_element(colourVotes.begin(), colourVotes.end()) - colourVotes.begin());
    std::nth_element(fills.begin(), fills.begin() + fills.size() / 2, fills.end());
    const double fill = fills[fills.size() / 2];
    out.shape = shapeOfFill(fill);
    out.path = classifyPath(track);
    return out;
}

double WorldJudgement::consistency() const {
    if (!found || frameColours.empty()) return 0.0;
    int same = 0;
    for (size_t i = 0; i < frameColours.size(); ++i) same += frameColours[i] == colour && frameShapes[i] == shape;
    return double(same) / double(frameColours.size());
}

double trackDistance(const WorldJudgement& reference, const WorldJudgement& other) {
    double sum = 0.0;
    int count = 0;
    for (size_t i = 0; i < reference.track.size(); ++i) {
        if (!reference.track[i]) continue;
        ++count;
        const auto& o = i < other.track.size() ? other.track[i] : std::nullopt;
        sum += o ? std::hypot(o->x - reference.track[i]->x, o->y - reference.track[i]->y) : 0.5;
    }
    return count > 0 ? sum / count : 0.5;
}

}  // namespace waft::engine::sd
