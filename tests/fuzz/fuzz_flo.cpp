// Middlebury .flo ground truth, and the end-point error against it.
#include <opencv2/core.hpp>

#include "FuzzFile.h"
#include "analysis/OpticalFlow.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto flow = waft::engine::readFlo(writeFuzzInput(data, size, ".flo"));
    if (flow && flow->total() <= (1u << 20)) {
        const cv::Mat zero = cv::Mat::zeros(flow->size(), CV_32FC2);
        size_t known = 0;
        (void)waft::engine::endPointError(zero, *flow, &known);
    }
    return 0;
}
