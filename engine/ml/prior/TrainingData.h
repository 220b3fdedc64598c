#pragma once
// Shared by the training and dataset jobs (engine-internal: includes torch, so only ml/ .cpp files use it).

#include <torch/torch.h>

#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/Job.h"
#include "ml/prior/ModelFile.h"
#include "scene/Scene.h"

namespace waft::engine::prior {

// The files of one folder (not recursive) with one of the lower-case extensions, sorted by name.
std::vector<std::filesystem::path> filesIn(const std::string& dir, const std::vector<std::string>& extensions);
// Mean over pixels of the displacement amplitude summed over bands, in pixels.
double meanMotion(const SpectralVolume& v);
// A dataset built in shards (`dataset --shard I/N`, on one machine or several, into one folder or copied together)
// leaves one "dataset-shard-I-of-N.shard" file per finished shard: all N must be there, of one N.
std::string shardMarkerName(int index, int count);
Status checkShardsComplete(const std::string& dir);
// Every scene of a dataset folder, resized to the training size; all must share the band count. A sharded
// dataset must have every shard finished.
Expected<std::vector<Scene>> loadTrainingSet(const std::string& dir, int width, int height);
// A volume's coefficients as a [K, 4, H, W] tensor (a copy).
torch::Tensor coefficients(const SpectralVolume& v);
// The reference image as the denoiser's condition: RGB in [-1, 1] at the latent size, [3, h, w].
torch::Tensor conditionFor(const cv::Mat& bgr, int width, int height);
float median(std::vector<float> v);
// A training job's summary line: "steps 35 to 60, last loss 0.01230".
std::string trainingSummary(int firstStep, int steps, float lastLoss);

// The samples a saved run has drawn (its "samples_drawn", else step x batch x its "world_size"), at most
// step x batch x 4096 (the largest world): a file cannot make a resume skip longer than its own run could have.
int64_t samplesDrawn(const ModelMetadata& meta, int step, int batch);

// A resumed run: the live weights and AdamW moments come from the training state saved with the model (when it
// is from the same step; a run from before training states, or cut between the two saves, continues from the
// EMA weights with fresh moments), the EMA warm-up and the trainer's per-step random numbers continue at the
// step, and the batch sampler skips the batches already drawn: with a state, resuming equals not stopping.
// `batch` is the per-rank batch. `drawn` gets the samples the run drew so far, which the sampler skips: what the
// model file records (whatever batches and world sizes came before), else step x batch x its world size; bounded
// by step x batch x kMaxWorldSize, whatever the file claims.
template <typename Trainer, typename Model>
Status resumeRun(Trainer& trainer, Model& live, const std::string& modelPath, int step, int batch, int worldSize,
                 std::mt19937& rng, std::uniform_int_distribution<int64_t>& pick, Progress& progress, int64_t& drawn) {
    trainer.ema().setUpdates(step);
    trainer.setStepIndex(step);
    auto modelMeta = readModelMetadata(modelPath);
    if (!modelMeta) return modelMeta.status();
    drawn = samplesDrawn(*modelMeta, step, batch);
    for (int64_t i = 0; i < drawn; ++i) pick(rng);
    const int savedWorld = std::clamp(metadataInt(*modelMeta, "world_size", 1), 1, 4096);
    if (savedWorld != worldSize)
        progress.report(0.0f, "resuming a run of " + std::to_string(savedWorld) + " ranks on " +
                                  std::to_string(worldSize) + ": the global batch is now " +
                                  std::to_string(batch * worldSize));
    const std::string statePath = trainingStatePath(modelPath);
    if (!std::filesystem::exists(statePath)) return Status::ok();
    auto meta = readModelMetadata(statePath);
    if (!meta) return meta.status();
    if (metadataInt(*meta, "step", -1) != step) {
        progress.report(0.0f, "training state is from another step: resuming from the EMA weights");
        return Status::ok();
    }
    auto loaded = loadTrainingState(*live, trainer.optimizer(), statePath);
    return loaded ? Status::ok() : loaded.status();
}

}  // namespace waft::engine::prior
