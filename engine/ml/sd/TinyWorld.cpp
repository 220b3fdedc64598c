#include "ml/sd/TinyWorld.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <random>

namespace waft::engine::sd {

namespace {

constexpr double kPi = 3.14159265358979323846;

// Saturated, bright object colours (BGR) and desaturated grounds (HSV hue in OpenCV's 0..180, saturation, value).
cv::Scalar objectBgr(WorldColour c) {
    switch (c) {
        case WorldColour::Red: return {30, 30, 240};
        case WorldColour::Green: return {40, 230, 40};
        case WorldColour::Blue: return {240, 60, 30};
        case WorldColour::Yellow: return {20, 230, 240};
        case WorldColour::Magenta: return {230, 40, 230};
    }
    return {};
}

struct GroundLook {
    double hue, saturation, value;
};
GroundLook groundLook(WorldGround g) {
    switch (g) {
        case WorldGround::Grass: return {45, 0.35, 0.40};
        case WorldGround::Sand: return {20, 0.30, 0.70};
        case WorldGround::Stone: return {0, 0.04, 0.50};
        case WorldGround::Water: return {100, 0.35, 0.45};
    }
    return {};
}

cv::Mat renderGround(WorldGround g, int width, int height, std::mt19937& rng) {
    const GroundLook look = groundLook(g);
    cv::Mat noise(height, width, CV_32F);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) noise.at<float>(y, x) = normal(rng);
    cv::GaussianBlur(noise, noise, cv::Size(0, 0), 1.2);
    cv::Mat hsv(height, width, CV_8UC3);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            const double v = std::clamp(look.value + 0.25 * noise.at<float>(y, x), 0.05, 0.85);
            const double s = std::clamp(look.saturation + 0.1 * noise.at<float>(y, x), 0.0, 0.45);
            hsv.at<cv::Vec3b>(y, x) = cv::Vec3b(uchar(look.hue), uchar(s * 255), uchar(v * 255));
        }
    cv::Mat bgr;
    cv::cvtColor(hsv, bgr, cv::COLOR_HSV2BGR);
    return bgr;
}

// Where the shape's centre is at t in [0, 1], in units of the frame (0..1).
cv::Point2d pathAt(WorldPath p, double t, double phase, double travel) {
    const double a = 0.5 - travel / 2, b = 0.5 + travel / 2;
    switch (p) {
        case WorldPath::Left: return {b - (b - a) * t, 0.5 + phase};
        case WorldPath::Right: return {a + (b - a) * t, 0.5 + phase};
        case WorldPath::Up: return {0.5 + phase, b - (b - a) * t};
        case WorldPath::Down: return {0.5 + phase, a + (b - a) * t};
        case WorldPath::Circle: return {0.5 + 0.25 * std::cos(2 * kPi * t), 0.5 + 0.25 * std::sin(2 * kPi * t)};
        case WorldPath::ZigZag: {  // rightwards, up and down every frame pair
            const double wave = std::fabs(std::fmod(t * 4.0 + 4.0, 2.0) - 1.0);  // triangle wave, period 1/2
            return {a + (b - a) * t, 0.3 + 0.4 * wave};
        }
        case WorldPath::Bounce: return {0.5 + phase, 0.72 - 0.45 * std::fabs(std::sin(2 * kPi * t))};
    }
    return {0.5, 0.5};
}

}  // namespace

const char* worldColourName(WorldColour c) {
    static const char* names[] = {"red", "green", "blue", "yellow", "magenta"};
    return names[int(c)];
}
const char* worldShapeName(WorldShape s) {
    static const char* names[] = {"ball", "square", "triangle"};
    return names[int(s)];
}
const char* worldPathName(WorldPath p) {
    static const char* names[] = {"moving left", "moving right", "moving up", "moving down",
                                  "circling",    "zig-zagging",  "bouncing"};
    return names[int(p)];
}
const char* worldGroundName(WorldGround g) {
    static const char* names[] = {"grass", "sand", "stone", "water"};
    return names[int(g)];
}

std::string WorldSpec::caption() const {
    return std::string("a ") + worldColourName(colour) + " " + worldShapeName(shape) + " " + worldPathName(path) +
           " over " + worldGroundName(ground);
}

std::vector<cv::Mat> renderWorldClip(const WorldSpec& spec, const WorldClipParams& params, unsigned seed) {
    std::mt19937 rng(seed * 2654435761u + 12345u);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    const int w = std::max(8, params.width), h = std::max(8, params.height), frames = std::max(1, params.frames);
    const cv::Mat ground = renderGround(spec.ground, w, h, rng);
    const double size = (0.16 + 0.05 * uniform(rng)) * std::min(w, h);  // the shape's half-extent, pixels
    const double phase = (uniform(rng) - 0.5) * 0.2, travel = 0.45 + 0.1 * uniform(rng);
    const cv::Scalar colour = objectBgr(spec.colour);
    std::vector<cv::Mat> out;
    for (int f = 0; f < frames; ++f) {
        const double t = frames > 1 ? double(f) / double(frames - 1) : 0.0;
        const cv::Point2d c = pathAt(spec.path, t, phase, travel);
        const cv::Point centre(int(std::lround(c.x * w)), int(std::lround(c.y * h)));
        const int r = std::max(2, int(std::lround(size)));
        cv::Mat frame = ground.clone();
        switch (spec.shape) {
            case WorldShape::Ball: cv::circle(frame, centre, r, colour, cv::FILLED, cv::LINE_8); break;
            case WorldShape::Square:
                cv::rectangle(frame, centre - cv::Point(r, r), centre + cv::Point(r, r), colour, cv::FILLED,
                              cv::LINE_8);
                break;
            case WorldShape::Triangle: {
                const std::vector<cv::Point> tri = {centre + cv::Point(0, -r), centre + cv::Point(-r, r),
                                                    centre + cv::Point(r, r)};
                cv::fillConvexPoly(frame, tri, colour, cv::LINE_8);
                break;
            }
        }
        out.push_back(frame);
    }
    return out;
}

std::vector<WorldSpec> allWorldSpecs() {
    std::vector<WorldSpec> out;
    for (int c = 0; c < kWorldColours; ++c)
        for (int s = 0; s < kWorldShapes; ++s)
            for (int p = 0; p < kWorldPaths; ++p)
                for (int g = 0; g < kWorldGrounds; ++g)
                    out.push_back({WorldColour(c), WorldShape(s), WorldPath(p), WorldGround(g)});
    return out;
}

bool isHeldOutWorldSpec(const WorldSpec& s) {
    // About one spec in six, spread over every colour, shape, path and ground (each word is still trained on).
    return (int(s.colour) * 7 + int(s.shape) * 3 + int(s.path) * 5 + int(s.ground)) % 6 == 0;
}

}  // namespace waft::engine::sd
