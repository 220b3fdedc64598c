#pragma once
// Training the neural renderer on pairs cut from real clips, as an engine Job (torch-free: the CLI includes it).

#include <memory>
#include <string>

#include "core/Job.h"
#include "ml/prior/PriorPresets.h"
#include "ml/render/RendererPairParams.h"

namespace waft::engine::dist {
class Communicator;
}

namespace waft::engine::render {

// The pixel term of the training loss (beside gradientWeight × multi-scale gradient L1), or LogL2: the mean over crops
// of the log of each crop's L2 loss (the loss the mean PSNR over frames asks for).
enum class RendererLoss { L1, L2, LogL2 };
// "l1", "l2", "log-l2"; parse returns false (and leaves `out`) for anything else.
const char* rendererLossName(RendererLoss loss);
bool parseRendererLoss(const std::string& name, RendererLoss& out);

struct TrainRendererParams {
    prior::TrainingRunParams run;  // steps, batch, lr, checkpoints, resume, seed, preset, compute; width x height:
                                   // the training crop (multiples of 16)
    RendererPairParams pairs;
    RendererLoss loss = RendererLoss::LogL2;
    // The weight of the structural term: multi-scale gradient L1 beside the pixel term (0..10). Held out, 0.05
    // scored 31.44 and 31.47 dB on two seeds against 0.2's 31.39 (docs/BENCHMARKS.md); specs from before read 0.2.
    float gradientWeight = 0.05f;
    // Synthetic layered pairs (syntheticLayeredPairs) added to the clips' pairs, as a fraction of their count
    // (0..4; 0: none, as specs from before read).
    double synthetic = 0.0;
    // Cosine decay of the learning rate to a tenth over run.steps (else constant). The schedule depends on the
    // run's length: resuming with another --steps follows another curve.
    bool cosineDecay = false;
    // Optional perceptual term (GID §5): VGG16 weights the user supplies (torchvision names, safetensors), times
    // perceptualWeight; none ship.
    std::string vggPath;
    float perceptualWeight = 0.1f;
    TrainRendererParams() {
        run.width = run.height = 128;
        run.batch = 4;
        run.learningRate = 2e-4f;
        run.checkpointEvery = 250;
        pairs.to = 0.7;
    }
};

// Trains a renderer on every video of a folder (not recursive) and writes it (EMA weights) to `outPath`, with
// the training state beside it for an exact resume.
class TrainRendererJob : public Job {
public:
    TrainRendererJob(std::string videoDir, std::string outPath, TrainRendererParams params)
        : m_videoDir(std::move(videoDir)), m_outPath(std::move(outPath)), m_params(params) {}
    std::string name() const override { return "train neural renderer"; }
    JobLane lane() const override { return JobLane::Compute; }
    Status run(Progress& progress, const CancelToken& cancel) override;
    std::optional<JobSpec> resumeSpec() const override;
    std::string summary() const override;
    float lastLoss() const { return m_lastLoss; }
    float fastLoss() const { return m_fastLoss; }
    int pairCount() const { return m_pairs; }
    // Trains as one rank of a data-parallel run (ml/dist/): --batch is per rank; rank 0 writes the files.
    void joinRun(std::shared_ptr<dist::Communicator> communicator) { m_communicator = std::move(communicator); }
    const std::string& communication() const { return m_communication; }

private:
    std::string m_videoDir, m_outPath;
    TrainRendererParams m_params;
    float m_lastLoss = 0.0f, m_fastLoss = 0.0f;  // means over the last steps
    int m_firstStep = 0, m_pairs = 0;
    std::shared_ptr<dist::Communicator> m_communicator;
    std::string m_communication;
};

// Rebuilds a training job from its spec's JSON (kind "train-renderer"; untrusted: every field checked).
Expected<std::unique_ptr<Job>> trainRendererJobFromSpec(const std::string& paramsJson);

}  // namespace waft::engine::render
