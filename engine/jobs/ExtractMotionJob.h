#pragma once

#include <string>

#include "analysis/MotionExtractor.h"
#include "core/Job.h"
#include "scene/Scene.h"

namespace waft::engine {

// Extracts a spectral volume from a video file: decodes it with real timestamps (io/VideoReader), runs
// MotionExtractor on the frames, and records the source clip (absolute path, first frame to the end of the
// last) so the scene remembers where it came from. A compute-lane job; the result is valid after run().
class ExtractMotionJob : public Job {
public:
    ExtractMotionJob(std::string videoPath, ExtractParams params);
    std::string name() const override { return "extract motion"; }
    JobLane lane() const override { return JobLane::Compute; }
    Status run(Progress& progress, const CancelToken& cancel) override;

    const SpectralVolume& result() const { return m_result; }
    SpectralVolume takeResult() { return std::move(m_result); }
    // The video and the source-time range that was analysed.
    const SceneSource& source() const { return m_source; }
    int requestedBands() const { return m_params.bands; }

private:
    std::string m_videoPath;
    ExtractParams m_params;
    SpectralVolume m_result;
    SceneSource m_source;
};

}  // namespace waft::engine
