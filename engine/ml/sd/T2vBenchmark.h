#pragma once
// The text-to-video benchmark of a TinyWorld model: samples clips for held-out captions (never trained on) and
// scores them with TinyWorldJudge: the shape's colour and kind, and its path. Chance is reported two ways: the
// analytic rates of guessing (1/15 for colour and shape together, 1/7 for the path) and the same samples scored
// against other held-out captions (what a model that ignores the text would get).

#include <string>

#include "core/Job.h"
#include "ml/prior/PriorConfig.h"
#include "ml/sd/TinyWorld.h"

namespace waft::engine::sd {

struct T2vBenchParams {
    std::string model;  // a video model (train-t2v's video.safetensors)
    int samples = 40;   // held-out captions, in a fixed order
    int steps = 25;
    float guidance = 4.0f;
    unsigned seed = 0;
    WorldClipParams clip;
    std::string framesDir;  // when set, each sample's first frames are written there as PNG strips
    prior::ComputeOptions compute;
};

struct T2vBenchResult {
    int samples = 0, found = 0;
    int colourAndShape = 0, colour = 0, shape = 0, path = 0;
    int shuffledColourAndShape = 0, shuffledPath = 0;  // scored against another held-out caption
    double secondsPerClip = 0.0;
    std::string table() const;  // a markdown table row set for docs/BENCHMARKS.md
};

class T2vBenchJob : public Job {
public:
    explicit T2vBenchJob(T2vBenchParams params) : m_params(std::move(params)) {}
    std::string name() const override { return "benchmark text-to-video"; }
    JobLane lane() const override { return JobLane::Compute; }
    Status run(Progress& progress, const CancelToken& cancel) override;
    const T2vBenchResult& result() const { return m_result; }

private:
    T2vBenchParams m_params;
    T2vBenchResult m_result;
};

}  // namespace waft::engine::sd
