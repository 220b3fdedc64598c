#include "core/Runtime.h"

#include <ATen/Parallel.h>
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <opencv2/core/utility.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <thread>

namespace waft::engine {

void initRuntime(int threads) {
    // Errors reach the user as one line from us; library chatter on stderr (OpenCV warnings, FFmpeg's demuxer
    // complaints about a corrupt file) would bury it. Users can still turn them on through the same variables.
    setenv("OPENCV_FFMPEG_LOGLEVEL", "-8", /*overwrite=*/0);  // AV_LOG_QUIET
    if (!std::getenv("OPENCV_LOG_LEVEL")) cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);
    // OMP_NUM_THREADS as torchrun and `waft-cli launch` set it: ranks sharing a machine share its cores.
    if (const char* omp = std::getenv("OMP_NUM_THREADS"); threads <= 0 && omp)
        threads = std::clamp(std::atoi(omp), 0, 4096);
    if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
    at::set_num_threads(threads);
    omp_set_num_threads(threads);
    cv::setNumThreads(threads);
}

}  // namespace waft::engine
