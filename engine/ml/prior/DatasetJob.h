#pragma once

#include <string>

#include "analysis/OpticalFlow.h"
#include "core/Job.h"

namespace waft::engine::prior {

// GID §7 data: for each video, every n-th frame is a reference image and the following `frames` frames give
// its spectral volume (the core's extractor), stored as DATASET/<video>-<frame>.waft at the training size.
// Clips whose mean motion is below minMotionPx (nothing moves: nothing to learn) or above maxMotionPx (camera
// motion or flow failure) are skipped. Existing outputs are kept: the job resumes where it stopped.
struct DatasetParams {
    int every = 10;
    int frames = 149;
    int bands = 16;
    int width = 256;
    int height = 160;
    float minMotionPx = 0.05f;
    float maxMotionPx = 20.0f;
    FlowMethod flow = FlowMethod::Dis;
    // Shard shardIndex of shardCount: the windows (v + w) % count == index, v the video's index, w the window's
    // in its video (disjoint, and within one window per video of an even split); a marker file when finished.
    int shardIndex = 0;
    int shardCount = 1;
};

class DatasetJob : public Job {
public:
    DatasetJob(std::string videoDir, std::string outDir, DatasetParams params)
        : m_videoDir(std::move(videoDir)), m_outDir(std::move(outDir)), m_params(params) {}
    std::string name() const override { return "build dataset"; }
    JobLane lane() const override { return JobLane::Compute; }
    Status run(Progress& progress, const CancelToken& cancel) override;
    int written() const { return m_written; }
    int skipped() const { return m_skipped; }
    int kept() const { return m_kept; }

private:
    std::string m_videoDir, m_outDir;
    DatasetParams m_params;
    int m_written = 0, m_skipped = 0, m_kept = 0;
};

}  // namespace waft::engine::prior
