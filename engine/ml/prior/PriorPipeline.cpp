#include "ml/prior/PriorPipeline.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <random>

#include "ml/prior/Compute.h"
#include "ml/prior/FrequencyNormalization.h"
#include "ml/prior/LoopLoss.h"
#include "ml/prior/ModelCache.h"
#include "ml/prior/ModelFile.h"
#include "analysis/MotionExtractor.h"
#include "ml/prior/PriorTraining.h"

namespace fs = std::filesystem;

namespace waft::engine::prior {

namespace {

using Json = nlohmann::json;

std::vector<fs::path> filesIn(const std::string& dir, const std::vector<std::string>& extensions) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        std::string ext = entry.path().extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
        if (entry.is_regular_file() && std::find(extensions.begin(), extensions.end(), ext) != extensions.end())
            out.push_back(entry.path());
    }
    std::sort(out.begin(), out.end());
    return out;
}

double meanMotion(const SpectralVolume& v) {
    double sum = 0.0;
    for (size_t i = 0; i < v.planeSize(); ++i) {
        double a = 0.0;
        for (int j = 0; j < v.bands; ++j)
            for (int c = 0; c < 4; ++c) a += double(v.plane(j, c)[i]) * v.plane(j, c)[i];
        sum += std::sqrt(a);
    }
    return sum / double(v.planeSize());
}

// Every scene of a dataset folder, resized to the training size; all must share the band count.
Expected<std::vector<Scene>> loadTrainingSet(const std::string& dir, int width, int height) {
    std::vector<Scene> scenes;
    for (const fs::path& path : filesIn(dir, {".waft"})) {
        auto scene = loadScene(path.string());
        if (!scene) return scene.status();
        if (!scenes.empty() && scene->volume.bands != scenes.front().volume.bands)
            return Status::invalid(path.string() + ": has " + std::to_string(scene->volume.bands) + " bands, the dataset " +
                                   std::to_string(scenes.front().volume.bands));
        scene->volume = scene->volume.resized(width, height);
        scenes.push_back(std::move(scene).value());
    }
    if (scenes.empty()) return Status::invalid("no .waft scenes in " + dir + " (build one with waft-cli dataset)");
    return scenes;
}

torch::Tensor coefficients(const SpectralVolume& v) {
    return torch::from_blob(const_cast<float*>(v.coefficients.data()), {v.bands, 4, v.height, v.width}, torch::kFloat32).clone();
}

// The reference image as the denoiser's condition: RGB in [-1, 1] at the latent size, [3, h, w].
torch::Tensor conditionFor(const cv::Mat& bgr, int width, int height) {
    cv::Mat small, rgb;
    cv::resize(bgr, small, cv::Size(width, height), 0, 0, cv::INTER_AREA);
    cv::cvtColor(small, rgb, cv::COLOR_BGR2RGB);
    return torch::from_blob(rgb.data, {height, width, 3}, torch::kUInt8).to(torch::kFloat32).permute({2, 0, 1}).contiguous() / 127.5 - 1.0;
}

// A resumed run: the live weights and AdamW moments come from the training state saved with the model (when it
// is from the same step; a run from before training states, or cut between the two saves, continues from the
// EMA weights with fresh moments), the EMA warm-up and the trainer's per-step random numbers continue at the
// step, and the batch sampler skips the batches already drawn: with a state, resuming equals not stopping.
template <typename Trainer, typename Model>
Status resumeRun(Trainer& trainer, Model& live, const std::string& modelPath, int step, int batch, std::mt19937& rng,
                 std::uniform_int_distribution<int64_t>& pick, Progress& progress) {
    trainer.ema().setUpdates(step);
    trainer.setStepIndex(step);
    for (int64_t i = 0; i < int64_t(step) * batch; ++i) pick(rng);
    const std::string statePath = trainingStatePath(modelPath);
    if (!fs::exists(statePath)) return Status::ok();
    auto meta = readModelMetadata(statePath);
    if (!meta) return meta.status();
    if (metadataInt(*meta, "step", -1) != step) {
        progress.report(0.0f, "training state is from another step: resuming from the EMA weights");
        return Status::ok();
    }
    auto loaded = loadTrainingState(*live, trainer.optimizer(), statePath);
    return loaded ? Status::ok() : loaded.status();
}

float median(std::vector<float> v) {
    std::nth_element(v.begin(), v.begin() + long(v.size() / 2), v.end());
    return v[v.size() / 2];
}

}  // namespace

bool parseModelPreset(const std::string& name, ModelPreset& out) {
    if (name == "tiny") out = ModelPreset::Tiny;
    else if (name == "paper") out = ModelPreset::Paper;
    else return false;
    return true;
}

VaeConfig vaePreset(ModelPreset preset) {
    VaeConfig c;
    if (preset == ModelPreset::Tiny) {
        c.channels = {16, 32};
        c.groups = 8;
    }
    return c;
}

UNetConfig unetPreset(ModelPreset preset, int bands) {
    UNetConfig c;
    c.conditionChannels = 3;  // the reference image, downsampled to the latent size
    c.maxFrequencies = std::max(1, bands);
    if (preset == ModelPreset::Tiny) {
        c.modelChannels = 32;
        c.channelMults = {1, 2};
        c.resBlocksPerLevel = 1;
        c.attentionLevels = {1};
        c.heads = 4;
        c.groups = 8;
    }
    return c;
}

Status DatasetJob::run(Progress& progress, const CancelToken& cancel) {
    const auto videos = filesIn(m_videoDir, {".mp4", ".avi", ".mov", ".webm", ".mkv", ".m4v"});
    if (videos.empty()) return Status::invalid("no videos in " + m_videoDir);
    std::error_code ec;
    fs::create_directories(m_outDir, ec);
    if (!fs::is_directory(m_outDir, ec)) return Status::io("cannot create " + m_outDir);
    for (size_t v = 0; v < videos.size(); ++v) {
        DecodeParams decode;
        decode.maxFrames = 0;
        decode.maxLongSide = std::max(m_params.width, m_params.height) * 2;
        Progress decodeProgress;
        auto video = decodeVideo(videos[v].string(), decode, Progress::Range(decodeProgress, 0, 1), cancel);
        if (!video) return video.status();
        const size_t n = video->frames.size();
        for (size_t start = 0; start + 5 <= n; start += size_t(std::max(1, m_params.every))) {
            if (cancel.isCancelled()) return Status::cancelled();
            const fs::path out = fs::path(m_outDir) / (videos[v].stem().string() + "-" + std::to_string(start) + ".waft");
            progress.report((float(v) + float(start) / float(n)) / float(videos.size()), "extracting " + out.filename().string());
            if (fs::exists(out, ec)) {
                ++m_kept;
                continue;
            }
            VideoFrames window;
            const size_t end = std::min(n, start + size_t(m_params.frames) + 1);
            window.frames.assign(video->frames.begin() + long(start), video->frames.begin() + long(end));
            window.timesSec.assign(video->timesSec.begin() + long(start), video->timesSec.begin() + long(end));
            ExtractParams params;
            params.bands = m_params.bands;
            params.flowMethod = m_params.flow;
            auto volume = MotionExtractor::extract(window, params, Progress::Range(decodeProgress, 0, 1), cancel);
            if (!volume) {
                if (volume.status().code() == StatusCode::Cancelled) return volume.status();
                ++m_skipped;
                continue;
            }
            Scene scene;
            scene.volume = volume->resized(m_params.width, m_params.height);
            const double motion = meanMotion(scene.volume);
            if (scene.volume.bands != m_params.bands || motion < m_params.minMotionPx || motion > m_params.maxMotionPx) {
                ++m_skipped;
                continue;
            }
            WAFT_RETURN_IF_ERROR(saveScene(out.string(), scene));
            ++m_written;
        }
    }
    progress.report(1.0f, "done");
    return Status::ok();
}

Status TrainVaeJob::run(Progress& progress, const CancelToken& cancel) {
    auto scenes = loadTrainingSet(m_datasetDir, m_params.width, m_params.height);
    if (!scenes) return scenes.status();
    std::vector<const SpectralVolume*> volumes;
    for (const Scene& s : *scenes) volumes.push_back(&s.volume);
    const std::vector<float> scales = fitFrequencyScales(volumes);
    std::vector<torch::Tensor> slices;
    for (const Scene& s : *scenes) slices.push_back(normalizeSpectral(coefficients(s.volume), scales));
    const torch::Tensor data = torch::cat(slices, 0);  // [N*K, 4, H, W]

    torch::manual_seed(m_params.seed);
    MotionVae model(vaePreset(m_params.preset));
    int firstStep = 0;
    const bool resumed = m_params.resume && fs::exists(m_outPath);
    if (resumed) {
        auto loaded = loadMotionVae(m_outPath);
        if (!loaded) return loaded.status();
        model = *loaded;
        firstStep = metadataInt(*readModelMetadata(m_outPath), "step", 0);
    }
    if (m_params.height % model->downsampleFactor() || m_params.width % model->downsampleFactor())
        return Status::invalid("training size must be a multiple of " + std::to_string(model->downsampleFactor()));
    auto compute = resolveCompute(m_params.compute, true);
    if (!compute) return compute.status();
    model->to(compute->device);
    TrainParams train;
    train.learningRate = m_params.learningRate;
    train.seed = m_params.seed;
    train.compute = *compute;
    VaeTrainer trainer(model, train);
    MotionVae ema(model->config);
    std::mt19937 rng(unsigned(m_params.seed));
    std::uniform_int_distribution<int64_t> pick(0, data.size(0) - 1);
    if (resumed) WAFT_RETURN_IF_ERROR(resumeRun(trainer, model, m_outPath, firstStep, m_params.batch, rng, pick, progress));
    const auto save = [&](int step) {
        trainer.ema().copyTo(*ema);
        WAFT_RETURN_IF_ERROR(saveMotionVae(ema, m_outPath, {{"frequency_scales", Json(scales).dump()}, {"step", std::to_string(step)}}));
        return saveTrainingState(*model, trainer.optimizer(), step, trainingStatePath(m_outPath));
    };
    for (int step = firstStep; step < m_params.steps; ++step) {
        if (cancel.isCancelled()) return Status::cancelled();
        std::vector<int64_t> index(size_t(m_params.batch));
        for (int64_t& i : index) i = pick(rng);
        m_lastLoss = trainer.step(data.index_select(0, torch::tensor(index))).total.item<float>();
        progress.metric("loss", step + 1, m_lastLoss);
        progress.report(float(step + 1) / float(m_params.steps), "training");
        if (m_params.checkpointEvery > 0 && (step + 1) % m_params.checkpointEvery == 0) WAFT_RETURN_IF_ERROR(save(step + 1));
    }
    return save(std::max(firstStep, m_params.steps));
}

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

    torch::manual_seed(m_params.seed);
    UNetConfig config = unetPreset(m_params.preset, bands);
    config.frequencyAttention = m_stage == 2;
    DenoiserUNet model(config);
    int firstStep = 0;
    if (resumed) {
        WAFT_RETURN_IF_ERROR(loadWeightsInto(*model, m_outPath));
        firstStep = metadataInt(*readModelMetadata(m_outPath), "step", 0);
    } else if (m_stage == 2) {
        if (m_initPath.empty()) return Status::invalid("stage 2 starts from a stage-1 model: give --init");
        WAFT_RETURN_IF_ERROR(loadWeightsInto(*model, m_initPath));
    }
    model->to(compute->device);
    TrainParams train;
    train.learningRate = m_params.learningRate;
    train.seed = m_params.seed;
    train.compute = *compute;
    DenoiserTrainer trainer(model, train, m_stage);
    DenoiserUNet ema(config);
    std::vector<float> bandHz;
    for (auto& f : frequencies) bandHz.push_back(median(f));
    const auto save = [&](int step) {
        trainer.ema().copyTo(*ema);
        WAFT_RETURN_IF_ERROR(saveDenoiser(ema, m_outPath,
                            {{"frequency_scales", Json(scales).dump()}, {"frequencies_hz", Json(bandHz).dump()},
                             {"latent_scale", Json(latentScale).dump()},
                             {"fps", std::to_string(median(fps))}, {"frames", std::to_string(int(median(frames)))},
                             {"width", std::to_string(m_params.width)}, {"height", std::to_string(m_params.height)},
                             {"stage", std::to_string(m_stage)}, {"step", std::to_string(step)}}));
        return saveTrainingState(*model, trainer.optimizer(), step, trainingStatePath(m_outPath));
    };
    std::mt19937 rng(unsigned(m_params.seed));
    std::uniform_int_distribution<int64_t> pick(0, allLatents.size(0) - 1);
    if (resumed) WAFT_RETURN_IF_ERROR(resumeRun(trainer, model, m_outPath, firstStep, m_params.batch, rng, pick, progress));
    for (int step = firstStep; step < m_params.steps; ++step) {
        if (cancel.isCancelled()) return Status::cancelled();
        std::vector<int64_t> index(size_t(m_params.batch));
        for (int64_t& i : index) i = pick(rng);
        const torch::Tensor idx = torch::tensor(index);
        m_lastLoss = trainer.step(allLatents.index_select(0, idx), allConditions.index_select(0, idx)).item<float>();
        progress.metric("loss", step + 1, m_lastLoss);
        progress.report(float(step + 1) / float(m_params.steps), "training");
        if (m_params.checkpointEvery > 0 && (step + 1) % m_params.checkpointEvery == 0) WAFT_RETURN_IF_ERROR(save(step + 1));
    }
    return save(std::max(firstStep, m_params.steps));
}

Status PredictJob::run(Progress& progress, const CancelToken& cancel) {
    if (m_image.empty() || m_image.type() != CV_8UC3) return Status::invalid("predict needs an 8-bit colour image");
    // Loaded once per session while the files are unchanged (the app predicts every photo it opens).
    auto vae = ModelCache::shared().vae(m_vaePath);
    if (!vae) return vae.status();
    auto net = ModelCache::shared().denoiser(m_priorPath);
    if (!net) return net.status();
    auto metadata = readModelMetadata(m_priorPath);
    if (!metadata) return metadata.status();
    const ModelMetadata meta = *metadata;
    const std::vector<float> scales = metadataFloats(meta, "frequency_scales");
    const std::vector<float> freqs = metadataFloats(meta, "frequencies_hz");
    const int width = metadataInt(meta, "width", 0), height = metadataInt(meta, "height", 0), frames = metadataInt(meta, "frames", 150);
    const int bands = int(freqs.size());
    if (scales.size() != freqs.size() || bands < 1 || bands > (*net)->config.maxFrequencies || width <= 0 || height <= 0 ||
        width > kMaxImageSide || height > kMaxImageSide)
        return Status::corrupt(m_priorPath + ": missing or inconsistent prediction metadata (train it with train-prior)");
    const float fps = std::max(1.0f, float(std::atof(meta.count("fps") ? meta.at("fps").c_str() : "30")));
    const float latentScale = metadataFloat(meta, "latent_scale", 1.0f);  // 1: models from before the scale factor
    if (!(latentScale > 0.0f)) return Status::corrupt(m_priorPath + ": latent_scale must be positive");
    const int factor = (*vae)->downsampleFactor();
    const int lw = width / factor, lh = height / factor;
    auto compute = resolveCompute(m_params.compute, false);
    if (!compute) return compute.status();
    const torch::Device device = compute->device;
    (*vae)->eval();
    (*net)->eval();
    (*vae)->to(device);
    (*net)->to(device);
    progress.report(0.05f, "sampling");

    const torch::Tensor condition = conditionFor(m_image, lw, lh).unsqueeze(0).expand({bands, 3, lh, lw}).contiguous().to(device);
    const torch::Tensor none = torch::zeros_like(condition);
    const torch::Tensor frequency = torch::arange(bands, torch::kLong).to(device);
    int calls = 0;
    const int expectedCalls = std::max(1, m_params.sampler.steps) * (m_params.sampler.guidance != 0.0f ? 2 : 1);
    const NoiseSchedule schedule = NoiseSchedule::scaledLinear();
    const Denoiser denoiser = [&](const torch::Tensor& x, int64_t t, bool conditional) {
        torch::NoGradGuard noGrad;
        progress.report(0.05f + 0.85f * std::min(1.0f, float(++calls) / float(expectedCalls)), "sampling");
        // The sampler's arithmetic stays on the CPU in fp32 (a few small tensors); the network runs on the device.
        torch::Tensor out;
        {
            AutocastScope autocast(*compute);
            out = (*net)->forward(x.to(device), torch::full({bands}, t, torch::TensorOptions(torch::kLong).device(device)), frequency,
                                  conditional ? condition : none, bands);
        }
        out = out.to(torch::kCPU, torch::kFloat32);
        return epsilonFrom((*net)->config.prediction, out, x, schedule.alphaBar(t));
    };
    GuidanceLoss loop;
    if (m_params.loop)
        loop = [&](const torch::Tensor& x0) {
            return loopLoss(denormalizeSpectral((*vae)->decode(x0.to(device) / latentScale), scales), freqs, fps, frames);
        };
    SamplerParams sampler = m_params.sampler;
    if (!m_params.loop) sampler.selfGuidance = 0.0f;
    const torch::Tensor latents =
        ddimSample(denoiser, {bands, 4, lh, lw}, sampler, schedule, loop, [&] { return cancel.isCancelled(); });
    if (!latents.defined() || cancel.isCancelled()) return Status::cancelled();
    torch::Tensor spectral;
    {
        torch::NoGradGuard noGrad;
        spectral = denormalizeSpectral((*vae)->decode(latents.to(device) / latentScale), scales).to(torch::kCPU).contiguous();
    }
    m_scene = std::make_shared<Scene>();
    SpectralVolume& v = m_scene->volume;
    v.width = width;
    v.height = height;
    v.bands = bands;
    v.coefficients.assign(spectral.data_ptr<float>(), spectral.data_ptr<float>() + spectral.numel());
    v.frequenciesHz = freqs;
    v.sourceFps = fps;
    v.sourceDurationSec = float(frames) / fps;
    cv::resize(m_image, v.reference, cv::Size(width, height), 0, 0, cv::INTER_AREA);
    if (m_image.cols != width || m_image.rows != height) {  // the scene keeps the photo; motion is resampled to it
        v = v.resized(m_image.cols, m_image.rows);
        v.reference = m_image.clone();
    }
    WAFT_RETURN_IF_ERROR(v.validate());
    progress.report(1.0f, "done");
    return Status::ok();
}

}  // namespace waft::engine::prior
