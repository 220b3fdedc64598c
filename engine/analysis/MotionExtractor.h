#pragma once

#include <string>

#include "core/Job.h"
#include "analysis/OpticalFlow.h"
#include "scene/Scene.h"
#include "motion/SpectralVolume.h"
#include "io/VideoReader.h"

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

// Motion from video (GID §3): decode with real timestamps, dense flow from the reference (first) frame,
// optional camera-shake removal, resampling of each pixel's trajectory onto a uniform time grid whose step
// is the median frame interval (linear interpolation between the real frame times), temporal FFT, keep the
// K lowest non-DC bands. Runs on the calling (engine) thread; flow itself is multi-threaded by OpenCV.
class MotionExtractor : public Job {
public:
    MotionExtractor(std::string videoPath, ExtractParams params);
    std::string name() const override { return "extract motion"; }
    JobLane lane() const override { return JobLane::Compute; }
    Status run(Progress& progress, const CancelToken& cancel) override;

    // Valid after a successful run().
    const SpectralVolume& result() const { return m_result; }
    SpectralVolume takeResult() { return std::move(m_result); }
    // The video and the source-time range that was analysed (first frame to the end of the last).
    const SceneSource& source() const { return m_source; }
    int requestedBands() const { return m_params.bands; }

    // The same pipeline on frames already in memory (tests, the motion-prior dataset builder).
    static Expected<SpectralVolume> extract(const VideoFrames& video, const ExtractParams& params,
                                            Progress::Range progress, const CancelToken& cancel);

private:
    std::string m_videoPath;
    ExtractParams m_params;
    SpectralVolume m_result;
    SceneSource m_source;
};

}  // namespace waft::engine
