#include "ml/prior/TrainPriorJob.h"

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

Status TrainPriorJob::run(Progress& progress, const CancelToken& cancel) {
    auto compute = resolveCompute(m_params.compute, true);
    if (!compute) return compute.status();
    auto vae = loadMotionVae(m_vaePath);
    if (!vae) return vae.status();
    auto vaeMeta = readModelMetadata(m_vaePath);
    const std::vector<float> scales = metadataFloats(*vaeMeta, "frequency_scales");
    if (scales.empty()) return Status::corrupt(m_vaePath + ": has no frequency_scales (train it with train-vae)");
    auto scenes = loadTrainingSet(m_datasetDir, m_params.width, m_params.height);
    if (!scenes) return scenes.status();
    const int bands = scenes->front().volume.bands;
    if (int(scales.size()) != bands) return Status::invalid("the VAE was trained on a dataset with another band count");
    const int factor = (*vae)->downsampleFactor();
    if (m_params.height % factor || m_params.width % factor)
        return Status::invalid("training size must be a multiple of " + std::to_string(factor));
    const int lw = m_params.width / factor, lh = m_params.height / factor;

    std::vector<torch::Tensor> latents, conditions;
    std::vector<float> fps, frames;
    std::vector<std::vector<float>> frequencies(static_cast<size_t>(bands));
    {
        torch::NoGradGuard noGrad;
        (*vae)->eval();
        (*vae)->to(compute->device);
        for (const Scene& s : *scenes) {
            const torch::Tensor slices = normalizeSpectral(coefficients(s.volume), scales).to(compute->device);
            latents.push_back((*vae)->encode(slices).first.to(torch::kCPU).unsqueeze(0));
            conditions.push_back(conditionFor(s.volume.reference, lw, lh).unsqueeze(0));
            fps.push_back(s.volume.sourceFps);
            frames.push_back(std::round(s.volume.sourceDurationSec * s.volume.sourceFps));
            for (int j = 0; j < bands; ++j) frequencies[size_t(j)].push_back(s.volume.frequenciesHz[size_t(j)]);
        }
    }
    torch::Tensor allLatents = torch::cat(latents, 0);
    const torch::Tensor allConditions = torch::cat(conditions, 0);
    // LDM's latent scale factor: diffusion assumes unit-variance data, and a VAE trained with a tiny KL weight
    // leaves its latents at whatever scale it liked. Fitted on a fresh run, kept from the weights it continues.
    float latentScale = 1.0f / std::max(1e-6f, allLatents.std().item<float>());
    const bool resumed = m_params.resume && fs::exists(m_outPath);
    const std::string continued = resumed ? m_outPath : (m_stage == 2 ? m_initPath : "");
    if (!continued.empty()) {
        auto meta = readModelMetadata(continued);
        if (!meta) return meta.status();
        latentScale = std::max(1e-6f, metadataFloat(*meta, "latent_scale", 1.0f));
    }
    allLatents = allLatents * latentScale;
    progress.report(0.0f, "latent scale " + std::to_string(latentScale));

    UNetConfig config = unetPreset(m_params.preset, bands);
    config.frequencyAttention = m_stage == 2;
    DenoiserUNet model = dist::seededModel(m_params.seed, [&] { return DenoiserUNet(config); });
    int firstStep = 0;
    if (resumed) {
        WAFT_RETURN_IF_ERROR(loadWeightsInto(*model, m_outPath));
        auto meta = readModelMetadata(m_outPath);
        if (!meta) return meta.status();
        firstStep = std::max(0, metadataInt(*meta, "step", 0));
        // Already there (or beyond): nothing to train, and the file stays as it is. This also bounds the
        // sampler's catch-up below by the run's own --steps, whatever step the file claims.
        if (firstStep >= m_params.steps) {
            m_firstStep = m_params.steps;
            return Status::ok();
        }
    } else if (m_stage == 2) {
        if (m_initPath.empty()) return Status::invalid("stage 2 starts from a stage-1 model: give --init");
        WAFT_RETURN_IF_ERROR(loadWeightsInto(*model, m_initPath));
    }
    model->to(compute->device);
    dist::Communicator* communicator = m_communicator.get();
    const int world = dist::worldSizeOf(communicator);
    TrainParams train;
    train.learningRate = m_params.learningRate;
    train.seed = m_params.seed;
    train.compute = *compute;
    train.communicator = communicator;
    DenoiserTrainer trainer(model, train, m_stage);
    DenoiserUNet ema(config);
    std::vector<float> bandHz;
    for (auto& f : frequencies) bandHz.push_back(median(f));
    int64_t drawn = 0;  // samples the sampler has given out, over every run of this model
    const auto write = [&](int step) {
        trainer.ema().copyTo(*ema);
        WAFT_RETURN_IF_ERROR(saveDenoiser(ema, m_outPath,
                                          {{"frequency_scales", Json(scales).dump()},
                                           {"frequencies_hz", Json(bandHz).dump()},
                                           {"latent_scale", Json(latentScale).dump()},
                                           {"fps", std::to_string(median(fps))},
                                           {"frames", std::to_string(int(median(frames)))},
                                           {"width", std::to_string(m_params.width)},
                                           {"height", std::to_string(m_params.height)},
                                           {"stage", std::to_string(m_stage)},
                                           {"step", std::to_string(step)},
                                           {"world_size", std::to_string(world)},
                                           {"samples_drawn", std::to_string(drawn)}}));
        return saveTrainingState(*model, trainer.optimizer(), step, trainingStatePath(m_outPath), world);
    };
    const auto save = [&](int step) { return dist::saveOnMain(communicator, [&] { return write(step); }); };
    std::mt19937 rng(unsigned(m_params.seed));
    std::uniform_int_distribution<int64_t> pick(0, allLatents.size(0) - 1);
    if (resumed)
        WAFT_RETURN_IF_ERROR(
            resumeRun(trainer, model, m_outPath, firstStep, m_params.batch, world, rng, pick, progress, drawn));
    WAFT_RETURN_IF_ERROR(dist::startRun(communicator, *model, trainer.optimizer(), firstStep, allLatents.size(0)));
    m_firstStep = firstStep;
    const auto loopStart = std::chrono::steady_clock::now();
    for (int step = firstStep; step < m_params.steps; ++step) {
        auto stop = dist::stopBeforeStep(communicator, step, cancel);
        if (!stop) return stop.status();
        if (*stop) return Status::cancelled();
        std::vector<int64_t> index(size_t(m_params.batch) * size_t(world));
        for (int64_t& i : index) i = pick(rng);
        drawn += int64_t(index.size());
        const torch::Tensor idx = torch::tensor(dist::rankShare(communicator, index));
        auto loss = trainer.step(allLatents.index_select(0, idx), allConditions.index_select(0, idx));
        if (!loss) return loss.status();
        m_lastLoss = loss->item<float>();
        progress.metric("loss", step + 1, m_lastLoss);
        progress.report(float(step + 1) / float(m_params.steps), "training");
        if (m_params.checkpointEvery > 0 && (step + 1) % m_params.checkpointEvery == 0)
            WAFT_RETURN_IF_ERROR(save(step + 1));
    }
    m_communication = dist::communicationSummary(
        communicator, std::chrono::duration<double>(std::chrono::steady_clock::now() - loopStart).count());
    return save(std::max(firstStep, m_params.steps));
}

std::string TrainPriorJob::summary() const {
    return trainingSummary(m_firstStep, m_params.steps, m_lastLoss) + m_communication;
}

std::optional<JobSpec> TrainPriorJob::resumeSpec() const {
    for (const std::string* p : {&m_datasetDir, &m_outPath, &m_vaePath, &m_initPath})
        if (!isValidUtf8(*p)) return std::nullopt;  // a spec is JSON text; such a run is simply not resumable
    std::error_code ec;
    const Json params = {{"dataset", fs::absolute(m_datasetDir, ec).string()},
                         {"vae", fs::absolute(m_vaePath, ec).string()},
                         {"out", fs::absolute(m_outPath, ec).string()},
                         {"stage", m_stage},
                         {"init", m_initPath.empty() ? std::string() : fs::absolute(m_initPath, ec).string()},
                         {"run", Json::parse(trainingRunToJson(m_params))}};
    return JobSpec{
        "train-prior",
        "train motion prior (stage " + std::to_string(m_stage) + ") → " + fs::path(m_outPath).filename().string(),
        params.dump()};
}

}  // namespace waft::engine::prior
