#pragma once
// The motion prior's long tasks as engine Jobs: dataset building, VAE and denoiser training, prediction.
// Torch-free header: the CLI and the app include it; the work happens in PriorPipeline.cpp.

#include <memory>
#include <string>

#include "core/Job.h"
#include "analysis/OpticalFlow.h"
#include "ml/prior/PriorConfig.h"
#include "scene/Scene.h"

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

enum class ModelPreset { Tiny, Paper };
bool parseModelPreset(const std::string& name, ModelPreset& out);
VaeConfig vaePreset(ModelPreset preset);
UNetConfig unetPreset(ModelPreset preset, int bands);

struct TrainingRunParams {
    ModelPreset preset = ModelPreset::Paper;
    int steps = 1000;
    int batch = 8;
    float learningRate = 1e-4f;
    int checkpointEvery = 500;
    bool resume = false;  // continue from the output file's weights and step
    unsigned long seed = 0;
    int width = 256;      // training size (dataset scenes are resized to it)
    int height = 160;
    ComputeOptions compute;
};

// Trains the motion VAE on normalised frequency slices of every dataset scene; fits and stores the GID eq. 4
// frequency scales with the model. Checkpoints (EMA weights) every checkpointEvery steps and at the end.
class TrainVaeJob : public Job {
public:
    TrainVaeJob(std::string datasetDir, std::string outPath, TrainingRunParams params)
        : m_datasetDir(std::move(datasetDir)), m_outPath(std::move(outPath)), m_params(params) {}
    std::string name() const override { return "train motion VAE"; }
    JobLane lane() const override { return JobLane::Compute; }
    Status run(Progress& progress, const CancelToken& cancel) override;
    float lastLoss() const { return m_lastLoss; }

private:
    std::string m_datasetDir, m_outPath;
    TrainingRunParams m_params;
    float m_lastLoss = 0.0f;
};

// Trains the denoiser on VAE latents (stage 1: everything; stage 2: frequency attention only, starting from
// initPath's stage-1 weights), conditioned on the reference image downsampled to the latent size.
class TrainPriorJob : public Job {
public:
    TrainPriorJob(std::string datasetDir, std::string vaePath, std::string outPath, int stage, std::string initPath,
                  TrainingRunParams params)
        : m_datasetDir(std::move(datasetDir)), m_vaePath(std::move(vaePath)), m_outPath(std::move(outPath)),
          m_stage(stage), m_initPath(std::move(initPath)), m_params(params) {}
    std::string name() const override { return "train motion prior"; }
    JobLane lane() const override { return JobLane::Compute; }
    Status run(Progress& progress, const CancelToken& cancel) override;
    float lastLoss() const { return m_lastLoss; }

private:
    std::string m_datasetDir, m_vaePath, m_outPath;
    int m_stage;
    std::string m_initPath;
    TrainingRunParams m_params;
    float m_lastLoss = 0.0f;
};

struct PredictParams {
    SamplerParams sampler;
    bool loop = false;  // motion self-guidance (GID eq. 5) for a seamless loop
    ComputeOptions compute;
};

// Predicts a spectral volume for one photo: DDIM (+ CFG, + self-guidance through the VAE decoder when
// looping), decode, inverse normalisation. The model works at its training size; the scene keeps the photo
// at its own size with the motion resampled to it, and the training set's frequencies.
class PredictJob : public Job {
public:
    PredictJob(cv::Mat image, std::string priorPath, std::string vaePath, PredictParams params)
        : m_image(std::move(image)), m_priorPath(std::move(priorPath)), m_vaePath(std::move(vaePath)), m_params(params) {}
    std::string name() const override { return "predict motion"; }
    JobLane lane() const override { return JobLane::Compute; }
    Status run(Progress& progress, const CancelToken& cancel) override;
    std::shared_ptr<Scene> result() const { return m_scene; }

private:
    cv::Mat m_image;
    std::string m_priorPath, m_vaePath;
    PredictParams m_params;
    std::shared_ptr<Scene> m_scene;
};

}  // namespace waft::engine::prior
