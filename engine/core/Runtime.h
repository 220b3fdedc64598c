#pragma once

namespace waft::engine {

// Process start-up for every executable: sets LibTorch's intra-op threads (1 by default on some VMs),
// OpenMP's and OpenCV's to `threads` (0 = OMP_NUM_THREADS when set, else all hardware threads), and quiets
// OpenCV's and FFmpeg's own stderr logging (errors reach users as our one-line Status). Call once from main,
// before any job.
void initRuntime(int threads = 0);

}  // namespace waft::engine
