#pragma once
// The VAE's time and memory for frames of a given size, whole or in tiles (waft-cli bench-vae): encodes and
// decodes `frames` noise frames one at a time and reports the seconds of each and the process's peak resident
// memory, so docs/BENCHMARKS.md can say what tiling buys at sizes the user picks. Without a model it builds SD
// 1.5's VAE with seeded random weights (the cost does not depend on the weights). Torch-free header.

#include <string>

#include "core/Job.h"
#include "ml/prior/PriorConfig.h"
#include "ml/sd/SdConfig.h"

namespace waft::engine::sd {

struct VaeBenchParams {
    std::string model;  // empty: SD 1.5's VAE configuration with random weights
    int width = 1024, height = 1024;
    int frames = 1;
    VaeTiling tiling;
    prior::ComputeOptions compute;
};

struct VaeBenchResult {
    double encodeSecondsPerFrame = 0.0, decodeSecondsPerFrame = 0.0;
    long peakRssMb = 0;  // the whole process's, weights included
    bool tiled = false;  // whether the frames were larger than one tile
    std::string json() const;
};

class VaeBenchJob : public Job {
public:
    explicit VaeBenchJob(VaeBenchParams params) : m_params(std::move(params)) {}
    std::string name() const override { return "benchmark the VAE"; }
    JobLane lane() const override { return JobLane::Compute; }
    Status run(Progress& progress, const CancelToken& cancel) override;
    const VaeBenchResult& result() const { return m_result; }

private:
    VaeBenchParams m_params;
    VaeBenchResult m_result;
};

}  // namespace waft::engine::sd
