#pragma once
// The motion prior's acceptance benchmark (issue 5): procedural scenes whose motion depends on what the image
// shows, rendered to video with the core's splatter, extracted back, used to train a tiny prior, and scored on
// held-out scenes against zero motion and the training-set mean. Torch-free header.

#include <string>

#include "core/Job.h"

namespace waft::engine::prior {

struct BenchPriorParams {
    std::string workDir;  // train/ and test/ scenes and the models go here
    int trainScenes = 240;
    int testScenes = 40;
    int size = 32;  // training size (scenes are made at 2x and extracted there)
    int bands = 4;  // 32 frames at 8 fps: bins at 0.25 k Hz
    int vaeSteps = 800;
    int priorSteps = 4000;
    int batch = 16;
    float learningRate = 1e-3f;
    int samplingSteps = 50;
    float guidance = 1.75f;  // CFG weight at sampling
    unsigned seed = 1;
};

// Mean absolute coefficient error (px) over held-out scenes of each predictor.
struct BenchPriorErrors {
    double zero = 0;   // |S_true|
    double mean = 0;   // |S_true - training mean|
    double prior = 0;  // |S_true - predicted (seed 0)|
    double vae = 0;    // |S_true - VAE round trip|: the ceiling of any prior on this VAE
};

struct BenchPriorReport {
    BenchPriorErrors all;       // every coefficient
    BenchPriorErrors moving;    // coefficients of pixels whose true motion exceeds 0.1 px
    double seedDifference = 0;  // mean |prediction(seed 0) - prediction(seed 1)| on one held-out image
    double seconds = 0;         // generation + training + evaluation
    double trainSeconds = 0;
};

class BenchPriorJob : public Job {
public:
    explicit BenchPriorJob(BenchPriorParams params) : m_params(std::move(params)) {}
    std::string name() const override { return "motion prior benchmark"; }
    JobLane lane() const override { return JobLane::Compute; }
    Status run(Progress& progress, const CancelToken& cancel) override;
    const BenchPriorReport& report() const { return m_report; }

private:
    BenchPriorParams m_params;
    BenchPriorReport m_report;
};

}  // namespace waft::engine::prior
