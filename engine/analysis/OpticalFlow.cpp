#include "analysis/OpticalFlow.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

#include "io/SafetensorsWriter.h"

namespace waft::engine {

bool parseFlowMethod(const std::string& name, FlowMethod& out) {
    if (name == "dis")
        out = FlowMethod::Dis;
    else if (name == "accurate")
        out = FlowMethod::Accurate;
    else
        return false;
    return true;
}

const char* flowMethodName(FlowMethod method) { return method == FlowMethod::Dis ? "dis" : "accurate"; }

FlowEstimator::FlowEstimator(FlowMethod method) : m_method(method) {
    if (method == FlowMethod::Dis) {
        m_solver = cv::DISOpticalFlow::create(cv::DISOpticalFlow::PRESET_MEDIUM);
    } else {
        auto dis = cv::DISOpticalFlow::create(cv::DISOpticalFlow::PRESET_MEDIUM);
        dis->setFinestScale(0);
        dis->setPatchSize(8);
        dis->setPatchStride(2);
        dis->setGradientDescentIterations(64);
        dis->setVariationalRefinementIterations(20);
        m_solver = dis;
    }
}

FlowEstimator::~FlowEstimator() = default;

cv::Mat toGrey(const cv::Mat& image) {
    cv::Mat grey;
    if (image.channels() == 3)
        cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
    else if (image.channels() == 4)
        cv::cvtColor(image, grey, cv::COLOR_BGRA2GRAY);
    else
        grey = image;
    if (grey.depth() != CV_8U) grey.convertTo(grey, CV_8U);
    return grey;
}

Expected<cv::Mat> FlowEstimator::compute(const cv::Mat& from, const cv::Mat& to) {
    if (from.empty() || to.empty() || from.size() != to.size())
        return Status::invalid("flow needs two non-empty images of the same size");
    if (from.cols < 16 || from.rows < 16) return Status::invalid("flow needs images of at least 16x16 pixels");
    cv::Mat flow;
    m_solver->calc(toGrey(from), toGrey(to), flow);
    return flow;
}

Expected<cv::Mat> readFlo(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::io("cannot open " + path);
    float magic = 0.0f;
    int32_t width = 0, height = 0;
    in.read(reinterpret_cast<char*>(&magic), 4);
    in.read(reinterpret_cast<char*>(&width), 4);
    in.read(reinterpret_cast<char*>(&height), 4);
    if (!in || magic != 202021.25f) return Status::corrupt(path + ": not a Middlebury .flo file");
    if (width <= 0 || height <= 0 || width > 16384 || height > 16384)
        return Status::corrupt(path + ": absurd .flo size " + std::to_string(width) + "x" + std::to_string(height));
    cv::Mat flow(height, width, CV_32FC2);
    in.read(reinterpret_cast<char*>(flow.data), std::streamsize(size_t(width) * height * 8));
    if (!in) return Status::corrupt(path + ": truncated .flo file");
    return flow;
}

Status writeFlo(const std::string& path, const cv::Mat& flow) {
    if (flow.type() != CV_32FC2) return Status::invalid("flow must be CV_32FC2");
    std::vector<uint8_t> bytes(12 + size_t(flow.total()) * 8);
    const float magic = 202021.25f;
    const int32_t size[2] = {flow.cols, flow.rows};
    std::memcpy(bytes.data(), &magic, 4);
    std::memcpy(bytes.data() + 4, size, 8);
    const cv::Mat continuous = flow.isContinuous() ? flow : flow.clone();
    std::memcpy(bytes.data() + 12, continuous.data, size_t(flow.total()) * 8);
    return writeFileAtomic(path, bytes);
}

double endPointError(const cv::Mat& flow, const cv::Mat& groundTruth, size_t* knownPixels) {
    CV_Assert(flow.type() == CV_32FC2 && groundTruth.type() == CV_32FC2 && flow.size() == groundTruth.size());
    double sum = 0.0;
    size_t known = 0;
    for (int y = 0; y < flow.rows; ++y) {
        const cv::Vec2f* f = flow.ptr<cv::Vec2f>(y);
        const cv::Vec2f* g = groundTruth.ptr<cv::Vec2f>(y);
        for (int x = 0; x < flow.cols; ++x) {
            if (!std::isfinite(g[x][0]) || !std::isfinite(g[x][1]) || std::abs(g[x][0]) >= 1e9f ||
                std::abs(g[x][1]) >= 1e9f)
                continue;
            sum += std::hypot(double(f[x][0] - g[x][0]), double(f[x][1] - g[x][1]));
            ++known;
        }
    }
    if (knownPixels) *knownPixels = known;
    return known ? sum / double(known) : 0.0;
}

}  // namespace waft::engine
