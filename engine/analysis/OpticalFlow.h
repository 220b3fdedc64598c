#pragma once

#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>

#include "core/Status.h"

namespace cv {
class DenseOpticalFlow;
}

namespace waft::engine {

enum class FlowMethod {
    Dis,       // DIS (Kroeger et al. 2016), OpenCV's MEDIUM preset: fast, the default for extraction
    Accurate,  // DIS at full resolution with denser patches and more variational refinement: slower, finer
};

bool parseFlowMethod(const std::string& name, FlowMethod& out);
const char* flowMethodName(FlowMethod method);

// Dense optical flow from one frame to another: flow(p) is where p of `from` went in `to`, so
// from(p) ~ to(p + flow(p)). Keeps its OpenCV solver between calls; one instance per thread.
class FlowEstimator {
public:
    explicit FlowEstimator(FlowMethod method = FlowMethod::Dis);
    ~FlowEstimator();

    // 8-bit images (grey or BGR) of the same size; returns CV_32FC2.
    Expected<cv::Mat> compute(const cv::Mat& from, const cv::Mat& to);

private:
    FlowMethod m_method;
    cv::Ptr<cv::DenseOpticalFlow> m_solver;
};

// Middlebury .flo files (magic 202021.25, int32 width and height, then float u,v pairs).
Expected<cv::Mat> readFlo(const std::string& path);
Status writeFlo(const std::string& path, const cv::Mat& flow);

// Mean end-point error over pixels whose ground truth is known (|u|, |v| < 1e9 and finite).
double endPointError(const cv::Mat& flow, const cv::Mat& groundTruth, size_t* knownPixels = nullptr);

// 8-bit grey version of an image (BGR, BGRA or grey).
cv::Mat toGrey(const cv::Mat& image);

}  // namespace waft::engine
