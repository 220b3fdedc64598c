#pragma once

#include "analysis/OpticalFlow.h"
#include "core/Job.h"
#include "io/VideoReader.h"
#include "motion/SpectralVolume.h"

namespace waft::engine {

enum class FlowChaining {
    Direct,   // flow from the reference frame to every frame: no drift; the default (see docs/BENCHMARKS.md)
    Chained,  // frame-to-frame flow composed along the trajectory: robust to large appearance change, drifts
};

struct ExtractParams {
    int bands = 16;  // K lowest non-DC bands (clamped to what the clip length allows)
    DecodeParams decode;
    FlowMethod flowMethod = FlowMethod::Dis;
    FlowChaining chaining = FlowChaining::Direct;
    bool stabilize = false;  // subtract a global homography (camera shake) from every frame's flow
};

// Motion from video frames (GID §3): dense flow from the reference (first) frame, optional camera-shake
// removal, resampling of each pixel's trajectory onto a uniform time grid whose step is the median frame
// interval (linear interpolation between the real frame times), temporal FFT, keep the K lowest non-DC bands.
// Stateless; runs on the calling thread (flow itself is multi-threaded by OpenCV). The job that reads a video
// file and records where the scene came from is jobs/ExtractMotionJob.
class MotionExtractor {
public:
    static Expected<SpectralVolume> extract(const VideoFrames& video, const ExtractParams& params,
                                            Progress::Range progress, const CancelToken& cancel);
};

}  // namespace waft::engine
