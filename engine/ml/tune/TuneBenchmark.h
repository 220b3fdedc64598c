#pragma once
// The video jobs' benchmarks on the TinyWorld (ml/sd/TinyWorld.h), each comparing objectives on the same held-out
// source clips and seeds, scored by the procedural judge:
// - motion transfer: "a red ball moving in a zig-zag over sand" becomes "a blue square moving in a zig-zag over
//   sand" under no tuning, TAV, VMC, and each with SMA's terms;
// - text-driven editing: the same clips edited to another colour (even clips) or shape (odd clips) by SAVE, SAVE
//   without its regulariser, SAVE with the temporal attention training too, and full W^Q tuning at the same steps
//   and at SAVE's wall-clock time.
// Measures: motion fidelity = the mean distance between the source's and the result's tracked shape (frame units;
// a missing shape counts 0.5), appearance = the result shows the target colour and shape, path kept, frame
// consistency (the share of frames whose own colour and shape are the clip's), trained numbers, time per step.
// Torch-free.

#include <string>
#include <vector>

#include "core/Job.h"
#include "ml/prior/PriorConfig.h"
#include "ml/sd/TinyWorld.h"

namespace waft::engine::tune {

struct TuneBenchParams {
    std::string model;  // a TinyWorld model (train-t2v's image.safetensors: Tune-A-Video starts from an image model)
    int clips = 4;      // held-out source clips, in a fixed order
    int steps = 50;     // tuning steps per clip and row
    float learningRate = 5e-4f;      // motion transfer's rows and full W^Q tuning (the tiny model's training rate)
    float saveLearningRate = 1e-3f;  // SAVE's rows (the paper's)
    int sampleSteps = 20;
    float guidance = 4.0f;
    unsigned seed = 0;
    sd::WorldClipParams clip;       // 32 x 32, 8 frames
    std::vector<std::string> rows;  // a subset of the benchmark's rows (empty: all)
    std::string workDir;            // where each result and tuned file is written
    prior::ComputeOptions compute;
};

// "no tuning", "TAV", "VMC", "TAV + SMA global", "TAV + SMA local", "TAV + SMA", "VMC + SMA".
const std::vector<std::string>& transferBenchRows();
// "no tuning", "SAVE", "SAVE without regulariser", "SAVE + temporal", "full W^Q", "full W^Q at SAVE's time".
const std::vector<std::string>& editBenchRows();

struct TuneBenchRow {
    std::string name;
    int clips = 0, steps = 0;
    double trackError = 0.0;   // mean over clips
    int appearance = 0;        // clips showing the target colour and shape
    int pathKept = 0;          // clips whose judged path is the source's
    double consistency = 0.0;  // mean over clips
    int64_t trainedNumbers = 0;
    double tuneSecondsPerStep = 0.0;
    double secondsPerClip = 0.0;
};

struct TuneBenchResult {
    std::vector<TuneBenchRow> rows;
    int sourcesReadRight = 0;  // source clips the judge reads as their own colour, shape and path (the ceiling)
    int sources = 0;
    long peakRssMb = 0;         // the process's peak resident memory after the run
    std::string table() const;  // markdown for docs/BENCHMARKS.md
};

class TuneBenchJob : public Job {
public:
    enum class Kind { Transfer, Edit };
    TuneBenchJob(Kind kind, TuneBenchParams params) : m_kind(kind), m_params(std::move(params)) {}
    std::string name() const override {
        return m_kind == Kind::Transfer ? "benchmark motion transfer" : "benchmark text-driven editing";
    }
    JobLane lane() const override { return JobLane::Compute; }
    Status run(Progress& progress, const CancelToken& cancel) override;
    const TuneBenchResult& result() const { return m_result; }

private:
    Kind m_kind;
    TuneBenchParams m_params;
    TuneBenchResult m_result;
};

}  // namespace waft::engine::tune
