#include "ml/prior/TrainVaeJob.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "core/JsonLimits.h"
#include "ml/dist/DataParallel.h"
#include "ml/prior/FrequencyNormalization.h"
#include "ml/prior/ModelFile.h"
#include "ml/prior/PriorTraining.h"
#include "ml/prior/TrainingData.h"

namespace fs = std::filesystem;

namespace waft::engine::prior {

using Json = nlohmann::json;

Status TrainVaeJob::run(Progress& progress, const CancelToken& cancel) {
    auto scenes = loadTrainingSet(m_datasetDir, m_params.width, m_params.height);
    if (!scenes) return scenes.status();
    std::vector<const SpectralVolume*> volumes;
    for (const Scene& s : *scenes) volumes.push_back(&s.volume);
    const std::vector<float> scales = fitFrequencyScales(volumes);
    std::vector<torch::Tensor> slices;
    for (const Scene& s : *scenes) slices.push_back(normalizeSpectral(coefficients(s.volume), scales));
    const torch::Tensor data = torch::cat(slices, 0);  // [N*K, 4, H, W]

    MotionVae model = dist::seededModel(m_params.seed, [&] { return MotionVae(vaePreset(m_params.preset)); });
    int firstStep = 0;
    const bool resumed = m_params.resume && fs::exists(m_outPath);
    if (resumed) {
        auto loaded = loadMotionVae(m_outPath);
        if (!loaded) return loaded.status();
        model = *loaded;
        auto meta = readModelMetadata(m_outPath);
        if (!meta) return meta.status();
        firstStep = std::max(0, metadataInt(*meta, "step", 0));
        // Already there (or beyond): nothing to train, and the file stays as it is. This also bounds the
        // sampler's catch-up below by the run's own --steps, whatever step the file claims.
        if (firstStep >= m_params.steps) {
            m_firstStep = m_params.steps;
            return Status::ok();
        }
    }
    if (m_params.height % model->downsampleFactor() || m_params.width % model->downsampleFactor())
        return Status::invalid("training size must be a multiple of " + std::to_string(model->downsampleFactor()));
    auto compute = resolveCompute(m_params.compute, true);
    if (!compute) return compute.status();
    model->to(compute->device);
    dist::Communicator* communicator = m_communicator.get();
    const int world = dist::worldSizeOf(communicator);
    TrainParams train;
    train.learningRate = m_params.learningRate;
    train.seed = m_params.seed;
    train.compute = *compute;
    train.communicator = communicator;
    VaeTrainer trainer(model, train);
    MotionVae ema(model->config);
    std::mt19937 rng(unsigned(m_params.seed));
    std::uniform_int_distribution<int64_t> pick(0, data.size(0) - 1);
    int64_t drawn = 0;  // samples the sampler has given out, over every run of this model
    if (resumed)
        WAFT_RETURN_IF_ERROR(
            resumeRun(trainer, model, m_outPath, firstStep, m_params.batch, world, rng, pick, progress, drawn));
    WAFT_RETURN_IF_ERROR(dist::startRun(communicator, *model, trainer.optimizer(), firstStep, data.size(0)));
    m_firstStep = firstStep;
    const auto write = [&](int step) {
        trainer.ema().copyTo(*ema);
        WAFT_RETURN_IF_ERROR(saveMotionVae(ema, m_outPath,
                                           {{"frequency_scales", Json(scales).dump()},
                                            {"step", std::to_string(step)},
                                            {"world_size", std::to_string(world)},
                                            {"samples_drawn", std::to_string(drawn)}}));
        return saveTrainingState(*model, trainer.optimizer(), step, trainingStatePath(m_outPath), world);
    };
    const auto save = [&](int step) { return dist::saveOnMain(communicator, [&] { return write(step); }); };
    const auto loopStart = std::chrono::steady_clock::now();
    for (int step = firstStep; step < m_params.steps; ++step) {
        auto stop = dist::stopBeforeStep(communicator, step, cancel);
        if (!stop) return stop.status();
        if (*stop) return Status::cancelled();
        // Every rank draws the global batch and trains on its share: N ranks of B see what one process of N x B does.
        std::vector<int64_t> index(size_t(m_params.batch) * size_t(world));
        for (int64_t& i : index) i = pick(rng);
        drawn += int64_t(index.size());
        auto loss = trainer.step(data.index_select(0, torch::tensor(dist::rankShare(communicator, index))));
        if (!loss) return loss.status();
        m_lastLoss = loss->total.item<float>();
        progress.metric("loss", step + 1, m_lastLoss);
        progress.report(float(step + 1) / float(m_params.steps), "training");
        if (m_params.checkpointEvery > 0 && (step + 1) % m_params.checkpointEvery == 0)
            WAFT_RETURN_IF_ERROR(save(step + 1));
    }
    m_communication = dist::communicationSummary(
        communicator, std::chrono::duration<double>(std::chrono::steady_clock::now() - loopStart).count());
    return save(std::max(firstStep, m_params.steps));
}

std::string TrainVaeJob::summary() const {
    return trainingSummary(m_firstStep, m_params.steps, m_lastLoss) + m_communication;
}

std::optional<JobSpec> TrainVaeJob::resumeSpec() const {
    for (const std::string* p : {&m_datasetDir, &m_outPath})
        if (!isValidUtf8(*p)) return std::nullopt;  // a spec is JSON text; such a run is simply not resumable
    std::error_code ec;
    const Json params = {{"dataset", fs::absolute(m_datasetDir, ec).string()},
                         {"out", fs::absolute(m_outPath, ec).string()},
                         {"run", Json::parse(trainingRunToJson(m_params))}};
    return JobSpec{"train-vae", "train motion VAE → " + fs::path(m_outPath).filename().string(), params.dump()};
}

}  // namespace waft::engine::prior
