#pragma once

#include <memory>
#include <string>

#include "core/Job.h"
#include "ml/prior/PriorPresets.h"

namespace waft::engine::dist {
class Communicator;
}

namespace waft::engine::prior {

// Trains the motion VAE on normalised frequency slices of every dataset scene; fits and stores the GID eq. 4
// frequency scales with the model. Checkpoints (EMA weights) every checkpointEvery steps and at the end.
class TrainVaeJob : public Job {
public:
    TrainVaeJob(std::string datasetDir, std::string outPath, TrainingRunParams params)
        : m_datasetDir(std::move(datasetDir)), m_outPath(std::move(outPath)), m_params(params) {}
    std::string name() const override { return "train motion VAE"; }
    JobLane lane() const override { return JobLane::Compute; }
    Status run(Progress& progress, const CancelToken& cancel) override;
    // Continues from the output file's last checkpoint (the same run with resume on, absolute paths).
    std::optional<JobSpec> resumeSpec() const override;
    std::string summary() const override;
    float lastLoss() const { return m_lastLoss; }
    // Trains as one rank of a data-parallel run (ml/dist/): --batch is per rank; rank 0 writes the files.
    void joinRun(std::shared_ptr<dist::Communicator> communicator) { m_communicator = std::move(communicator); }
    // ", 2 ranks, collectives 14% of the time" after a distributed run; empty otherwise.
    const std::string& communication() const { return m_communication; }

private:
    std::string m_datasetDir, m_outPath;
    TrainingRunParams m_params;
    float m_lastLoss = 0.0f;
    int m_firstStep = 0;  // > 0: resumed from the checkpoint at that step
    std::shared_ptr<dist::Communicator> m_communicator;
    std::string m_communication;  // the summary's note on the collectives' share
};

}  // namespace waft::engine::prior
