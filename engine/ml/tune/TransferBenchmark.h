#pragma once
// The motion transfer benchmark on the TinyWorld (ml/sd/TinyWorld.h): held-out source clips ("a red ball moving
// in a zig-zag over sand") are transferred to another appearance ("a blue square moving in a zig-zag over sand")
// by the motion transfer job under each objective, on the same clips and seeds, and scored by the procedural
// judge: motion fidelity = the mean distance between the source's and the result's tracked shape (frame units;
// a missing shape counts 0.5), appearance = the result shows the new colour and shape. Torch-free.

#include <string>
#include <vector>

#include "core/Job.h"
#include "ml/prior/PriorConfig.h"
#include "ml/sd/TinyWorld.h"

namespace waft::engine::tune {

struct TransferBenchParams {
    std::string model;  // a TinyWorld model (train-t2v's image.safetensors: Tune-A-Video starts from an image model)
    int clips = 5;      // held-out source clips, in a fixed order
    int steps = 60;     // tuning steps per clip and row
    float learningRate = 5e-4f;
    int sampleSteps = 25;
    float guidance = 4.0f;
    unsigned seed = 0;
    sd::WorldClipParams clip;       // 32 x 32, 8 frames
    std::vector<std::string> rows;  // a subset of transferBenchRows() (empty: all)
    std::string workDir;            // where each result and tuned file is written
    prior::ComputeOptions compute;
};

// The compared objectives, in order: "no tuning", "TAV", "TAV + SMA global", "TAV + SMA local", "TAV + SMA",
// "VMC", "VMC + SMA".
const std::vector<std::string>& transferBenchRows();

struct TransferBenchRow {
    std::string name;
    int clips = 0;
    double trackError = 0.0;  // mean over clips
    int appearance = 0;       // clips showing the new colour and shape
    int pathKept = 0;         // clips whose judged path is the source's
    double tuneSecondsPerStep = 0.0;
    double secondsPerClip = 0.0;
};

struct TransferBenchResult {
    std::vector<TransferBenchRow> rows;
    double sourceTrackError = 0.0;  // the judge against itself on the sources (0 up to missed frames)
    long peakRssMb = 0;             // the process's peak resident memory after the run
    std::string table() const;      // markdown for docs/BENCHMARKS.md
};

class TransferBenchJob : public Job {
public:
    explicit TransferBenchJob(TransferBenchParams params) : m_params(std::move(params)) {}
    std::string name() const override { return "benchmark motion transfer"; }
    JobLane lane() const override { return JobLane::Compute; }
    Status run(Progress& progress, const CancelToken& cancel) override;
    const TransferBenchResult& result() const { return m_result; }

private:
    TransferBenchParams m_params;
    TransferBenchResult m_result;
};

}  // namespace waft::engine::tune
