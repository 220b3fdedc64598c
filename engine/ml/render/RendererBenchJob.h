#pragma once
// The neural renderer against pixel splatting on held-out pairs of real clips, as an engine Job (torch-free: the
// CLI includes it).

#include <string>
#include <vector>

#include "core/Job.h"
#include "ml/prior/PriorConfig.h"
#include "ml/render/RendererPairParams.h"

namespace waft::engine::render {

struct RendererBenchParams {
    std::string model;                // a renderer file
    std::vector<std::string> videos;  // clips; pairs from `pairs.from`..`pairs.to` of each
    RendererPairParams pairs;
    std::string picture;  // when set: a side-by-side PNG of the pair with the most disoccluded pixels
    int timingWidth = 1280, timingHeight = 720;  // frame time of both presets at this size (0: not measured)
    prior::ComputeOptions compute;
};

// Per clip and over all: PSNR (dB) and SSIM of both renderers against the real target, over the whole frame
// and over disoccluded pixels (where the reference's splat density is below 0.5: nothing, or only a stretched
// trace, lands there).
struct RendererBenchRow {
    std::string clip;
    int pairs = 0;
    double disoccludedFraction = 0.0;
    double psnrFast = 0.0, psnrNeural = 0.0, ssimFast = 0.0, ssimNeural = 0.0;
    double holePsnrFast = 0.0, holePsnrNeural = 0.0, holeSsimFast = 0.0, holeSsimNeural = 0.0;
    double neuralSecondsPerFrame = 0.0;
};

class RendererBenchJob : public Job {
public:
    explicit RendererBenchJob(RendererBenchParams params) : m_params(std::move(params)) {}
    std::string name() const override { return "benchmark neural renderer"; }
    JobLane lane() const override { return JobLane::Compute; }
    Status run(Progress& progress, const CancelToken& cancel) override;
    const std::vector<RendererBenchRow>& rows() const { return m_rows; }  // one per clip, then "all"
    std::string table() const;                                            // markdown, for docs/BENCHMARKS.md
    // Seconds per frame at the timing size: the fast renderer's splat + fill, and each preset's network.
    double fastSecondsPerFrame() const { return m_fastSeconds; }
    double tinySecondsPerFrame() const { return m_tinySeconds; }
    double paperSecondsPerFrame() const { return m_paperSeconds; }

private:
    RendererBenchParams m_params;
    std::vector<RendererBenchRow> m_rows;
    double m_fastSeconds = 0.0, m_tinySeconds = 0.0, m_paperSeconds = 0.0;
};

}  // namespace waft::engine::render
