#include "dynamics/MotionStrokes.h"

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "core/JsonLimits.h"

namespace waft::engine {

using Json = nlohmann::json;

namespace {
constexpr std::uintmax_t kMaxFileBytes = 16u << 20;
constexpr int kMaxSide = 16384;

// A JSON array of exactly n finite numbers within +-limit.
Expected<std::vector<float>> numbers(const Json& j, size_t n, float limit, const char* what) {
    if (!j.is_array() || j.size() != n)
        return Status::corrupt(std::string("each ") + what + " must be an array of " + std::to_string(n) + " numbers");
    std::vector<float> out;
    for (const Json& v : j) {
        if (!v.is_number()) return Status::corrupt(std::string(what) + " has a value that is not a number");
        const double d = v.get<double>();
        if (!std::isfinite(d) || std::abs(d) > limit)
            return Status::corrupt(std::string(what) + " has a value that is not finite or far outside the image");
        out.push_back(float(d));
    }
    return out;
}

// The list under key: absent is empty; otherwise an array of at most kMaxStrokes entries.
Expected<const Json*> list(const Json& root, const char* key) {
    static const Json kEmpty = Json::array();
    const auto it = root.find(key);
    if (it == root.end()) return &kEmpty;
    if (!it->is_array()) return Status::corrupt(std::string("'") + key + "' must be an array");
    if (it->size() > size_t(kMaxStrokes))
        return Status::corrupt(std::string("more than ") + std::to_string(kMaxStrokes) + " " + key);
    return &*it;
}
}  // namespace

MotionStrokes MotionStrokes::scaledTo(int targetWidth, int targetHeight) const {
    MotionStrokes out = *this;
    out.width = targetWidth;
    out.height = targetHeight;
    if (width <= 0 || height <= 0 || (width == targetWidth && height == targetHeight)) return out;
    const float sx = float(targetWidth) / float(width), sy = float(targetHeight) / float(height);
    for (MotionArrow& a : out.arrows) a = {a.x * sx, a.y * sy, a.dx * sx, a.dy * sy};
    for (MotionAnchor& a : out.anchors) a = {a.x * sx, a.y * sy, a.radiusPx * std::sqrt(sx * sy)};
    for (FreezeRect& r : out.freeze) r = {r.x * sx, r.y * sy, r.width * sx, r.height * sy};
    return out;
}

cv::Mat MotionStrokes::freezeMask() const {
    if (freeze.empty() || width <= 0 || height <= 0) return {};
    cv::Mat mask = cv::Mat::zeros(height, width, CV_8UC1);
    for (const FreezeRect& r : freeze)
        cv::rectangle(mask, cv::Rect(int(r.x), int(r.y), int(r.width) + 1, int(r.height) + 1), cv::Scalar(255),
                      cv::FILLED);
    return mask;
}

std::string strokesToJson(const MotionStrokes& s) {
    Json root = {{"format", "waft-strokes"}, {"version", 1}, {"width", s.width}, {"height", s.height}};
    root["arrows"] = Json::array();
    root["anchors"] = Json::array();
    root["freeze"] = Json::array();
    for (const MotionArrow& a : s.arrows) root["arrows"].push_back({a.x, a.y, a.dx, a.dy});
    for (const MotionAnchor& a : s.anchors) root["anchors"].push_back({a.x, a.y});
    for (const FreezeRect& r : s.freeze) root["freeze"].push_back({r.x, r.y, r.width, r.height});
    return root.dump(1);
}

Expected<MotionStrokes> strokesFromJson(const std::string& text) {
    if (!jsonNestingWithin(text, 8)) return Status::corrupt("stroke file is nested too deeply");  // three is enough
    const Json root = Json::parse(text, nullptr, false);
    if (root.is_discarded() || !root.is_object()) return Status::corrupt("stroke file is not a JSON object");
    // find(), not value(): value() throws when the key holds another type (found by fuzz_strokes).
    const auto format = root.find("format");
    if (format == root.end() || !format->is_string() || format->get_ref<const std::string&>() != "waft-strokes")
        return Status::corrupt("not a Waft stroke file (format is not \"waft-strokes\")");
    const auto size = [&](const char* key) -> int {
        const auto it = root.find(key);
        if (it == root.end() || !it->is_number_integer()) return -1;
        const int64_t v =
            it->is_number_unsigned() ? int64_t(std::min<uint64_t>(it->get<uint64_t>(), INT64_MAX)) : it->get<int64_t>();
        return v >= 1 && v <= kMaxSide ? int(v) : -1;
    };
    MotionStrokes s;
    s.width = size("width");
    s.height = size("height");
    if (s.width < 1 || s.height < 1 || s.width > kMaxSide || s.height > kMaxSide)
        return Status::corrupt("stroke file needs an image width and height within 1.." + std::to_string(kMaxSide));
    const float limit = 10.0f * float(std::max(s.width, s.height));
    auto arrows = list(root, "arrows");
    auto anchors = list(root, "anchors");
    auto freeze = list(root, "freeze");
    for (const Status& st : {arrows.status(), anchors.status(), freeze.status()})
        if (!st) return st;
    for (const Json& j : **arrows) {
        auto v = numbers(j, 4, limit, "arrow");
        if (!v) return v.status();
        s.arrows.push_back({(*v)[0], (*v)[1], (*v)[2], (*v)[3]});
    }
    for (const Json& j : **anchors) {
        auto v = numbers(j, 2, limit, "anchor");
        if (!v) return v.status();
        s.anchors.push_back({(*v)[0], (*v)[1], 0.0f});
    }
    for (const Json& j : **freeze) {
        auto v = numbers(j, 4, limit, "freeze region");
        if (!v) return v.status();
        if ((*v)[2] < 0.0f || (*v)[3] < 0.0f) return Status::corrupt("a freeze region has a negative size");
        s.freeze.push_back({(*v)[0], (*v)[1], (*v)[2], (*v)[3]});
    }
    return s;
}

Status saveStrokes(const std::string& path, const MotionStrokes& strokes) {
    // Never write a file loadStrokes() would refuse.
    if (auto check = strokesFromJson(strokesToJson(strokes)); !check)
        return check.status().withContext("cannot save strokes");
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out << strokesToJson(strokes) << "\n";
        if (!out.flush()) {
            out.close();
            std::error_code ignored;
            std::filesystem::remove(tmp, ignored);
            return Status::io("cannot write " + path);
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::filesystem::remove(tmp, ec);
        return Status::io("cannot write " + path);
    }
    return Status::ok();
}

Expected<MotionStrokes> loadStrokes(const std::string& path) {
    std::error_code ec;
    const std::uintmax_t bytes = std::filesystem::file_size(path, ec);
    if (ec) return Status::io("cannot open " + path);
    if (bytes > kMaxFileBytes) return Status::corrupt(path + ": a stroke file is at most 16 MiB");
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    auto strokes = strokesFromJson(text.str());
    if (!strokes) return strokes.status().withContext(path);
    return strokes;
}

}  // namespace waft::engine
