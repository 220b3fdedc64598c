#include "Runtime.h"

#include <omp.h>
#include <torch/torch.h>

#include <opencv2/core/utility.hpp>
#include <thread>

namespace waft::engine {

void initRuntime(int threads) {
    if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
    torch::set_num_threads(threads);
    omp_set_num_threads(threads);
    cv::setNumThreads(threads);
}

}  // namespace waft::engine
