#include "ml/sd/TrainT2vJob.h"

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "ml/prior/Compute.h"
#include "ml/prior/ModelFile.h"
#include "ml/sd/ClipTokenizer.h"
#include "ml/sd/SdModelFiles.h"
#include "ml/sd/SdModelLoader.h"
#include "ml/sd/SdPipeline.h"

namespace waft::engine::sd {

namespace {

const char* const kStages[] = {"vae", "image", "video"};

// The three parts under one module, so one optimizer and one training state cover a stage.
struct T2vModulesImpl : torch::nn::Module {
    T2vModulesImpl(const SdConfig& c, const InflationConfig& inflation)
        : text(register_module("text", ClipTextModel(c.text))),
          vae(register_module("vae", AutoencoderKl(c.vae))),
          unet(register_module("unet", SdUNet(c.unet, inflation))) {}
    ClipTextModel text;
    AutoencoderKl vae;
    SdUNet unet;
};
TORCH_MODULE(T2vModules);

uint64_t mix(uint64_t a, uint64_t b) {  // splitmix64 of a combination: independent streams per (seed, stage, step)
    uint64_t z = a * 0x9E3779B97F4A7C15ull + b + 0x632BE59BD9B4E019ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

struct Batch {
    std::vector<std::vector<cv::Mat>> clips;
    std::vector<std::string> captions;
};

// `count` training clips (held-out specs never appear), a function of (seed, stage, step).
Batch drawBatch(const T2vRunParams& p, int stage, int step, int count) {
    static const std::vector<WorldSpec> specs = [] {
        std::vector<WorldSpec> out;
        for (const WorldSpec& s : allWorldSpecs())
            if (!isHeldOutWorldSpec(s)) out.push_back(s);
        return out;
    }();
    std::mt19937_64 rng(mix(mix(p.seed, uint64_t(stage)), uint64_t(step)));
    std::uniform_int_distribution<size_t> pick(0, specs.size() - 1);
    Batch b;
    for (int i = 0; i < count; ++i) {
        const WorldSpec& spec = specs[pick(rng)];
        b.clips.push_back(renderWorldClip(spec, p.clip, unsigned(rng())));
        b.captions.push_back(spec.caption());
    }
    return b;
}

torch::Tensor captionStates(T2vModules& m, const std::vector<std::string>& captions, const ClipTokenizer& tokenizer,
                            const torch::Device& device) {
    const int length = m->text->config.contextLength;
    std::vector<int64_t> ids;
    for (const std::string& c : captions)
        for (int id : tokenizer.tokenize(c, length).ids) ids.push_back(id);
    return m->text->forward(torch::tensor(ids, torch::kLong).reshape({int64_t(captions.size()), length}).to(device));
}

std::string stageState(const std::string& modelPath) { return prior::trainingStatePath(modelPath); }

// The step a stage's file was saved at (-1: none or unreadable).
int savedStep(const std::string& path) {
    auto meta = prior::readModelMetadata(path);
    return meta ? prior::metadataInt(*meta, "t2v_step", -1) : -1;
}

Status loadInto(T2vModules& m, const std::string& path) {
    auto files = openSdModel(path);
    if (!files) return files.status();
    return loadSdParts(*m->text, *m->vae, *m->unet, *files);
}

}  // namespace

SdConfig t2vTinyConfig() {
    SdConfig c;
    c.text.contextLength = 16;
    c.text.width = 64;
    c.text.layers = 2;
    c.text.heads = 4;
    c.text.intermediate = 128;
    c.vae.channels = {32, 64};
    c.vae.layersPerBlock = 1;
    c.vae.groups = 8;
    c.vae.scalingFactor = 1.0f;  // set after the VAE stage
    c.unet.channels = {64, 128};
    c.unet.crossAttention = {true, true};
    c.unet.layersPerBlock = 1;
    c.unet.crossAttentionDim = 64;
    c.unet.heads = 4;
    c.unet.groups = 8;
    return c;
}

std::string TrainT2vJob::stagePath(const std::string& dir, const std::string& stage) {
    return (std::filesystem::path(dir) / (stage + ".safetensors")).string();
}

std::optional<JobSpec> TrainT2vJob::resumeSpec() const {
    const nlohmann::json j = {{"out", m_dir},
                              {"width", m_params.clip.width},
                              {"height", m_params.clip.height},
                              {"frames", m_params.clip.frames},
                              {"vae_steps", m_params.vaeSteps},
                              {"image_steps", m_params.imageSteps},
                              {"video_steps", m_params.videoSteps},
                              {"batch", m_params.batch},
                              {"learning_rate", m_params.learningRate},
                              {"seed", m_params.seed},
                              {"checkpoint_every", m_params.checkpointEvery},
                              {"device", prior::computeDeviceName(m_params.compute.device)}};
    return JobSpec{"train-t2v", "train text-to-video → " + m_dir, j.dump()};
}

Status TrainT2vJob::run(Progress& progress, const CancelToken& cancel) {
    const T2vRunParams& p = m_params;
    if (p.clip.width % 8 || p.clip.height % 8 || p.clip.width < 16 || p.clip.height < 16 || p.clip.width > 256 ||
        p.clip.height > 256)
        return Status::invalid("clip size must be multiples of 8 within 16..256");
    if (p.clip.frames < 2 || p.clip.frames > 32) return Status::invalid("frames must be within 2..32");
    if (p.batch < 2 || p.batch > 256) return Status::invalid("batch must be within 2..256");
    std::error_code ec;
    std::filesystem::create_directories(m_dir, ec);
    if (!std::filesystem::is_directory(m_dir, ec)) return Status::io("cannot create " + m_dir);
    auto compute = prior::resolveCompute(p.compute, true);
    if (!compute) return compute.status();
    auto tokenizer = ClipTokenizer::shared();
    if (!tokenizer) return tokenizer.status();
    const ml::NoiseSchedule schedule = sdSchedule();
    const int steps[] = {p.vaeSteps, p.imageSteps, p.videoSteps};
    const int totalSteps = steps[0] + steps[1] + steps[2];
    int doneBefore = 0, firstStep = -1, lastStep = 0;
    float lastLoss = 0.0f;
    SdConfig config = t2vTinyConfig();

    for (int stage = 0; stage < 3; ++stage) {
        const std::string out = stagePath(m_dir, kStages[stage]);
        const int saved = std::filesystem::exists(out) ? savedStep(out) : -1;
        const bool video = stage == 2;
        const InflationConfig inflation{video ? FrameAttention::SparseCausal : FrameAttention::PerFrame, video};
        if (saved >= steps[stage]) {  // done before: its config (the latent scale) carries on
            auto files = openSdModel(out);
            if (!files) return files.status();
            config = files->config;
            doneBefore += steps[stage];
            continue;
        }
        torch::manual_seed(p.seed + uint64_t(stage));
        T2vModules m(config, inflation);
        int start = 0;
        if (stage > 0) WAFT_RETURN_IF_ERROR(loadInto(m, stagePath(m_dir, kStages[stage - 1])));
        std::vector<torch::Tensor> trained;
        for (auto& t : (stage == 0 ? m->vae->parameters() : m->text->parameters())) trained.push_back(t);
        if (stage > 0)
            for (auto& t : m->unet->parameters()) trained.push_back(t);
        for (auto& t : m->parameters()) t.set_requires_grad(false);
        for (auto& t : trained) t.set_requires_grad(true);
        m->to(compute->device);
        torch::optim::AdamW optimizer(trained, torch::optim::AdamWOptions(p.learningRate).weight_decay(0.01));
        if (p.resume && saved >= 0) {  // continue this stage where its file and training state left it
            WAFT_RETURN_IF_ERROR(loadInto(m, out));
            if (std::filesystem::exists(stageState(out))) {
                auto s = prior::loadTrainingState(*m, optimizer, stageState(out));
                if (!s) return s.status();
                if (*s != saved) return Status::corrupt(stageState(out) + ": from another step than " + out);
            }
            start = saved;
        }
        m->train();
        const auto save = [&](int step) {
            const std::map<std::string, std::string> meta = {{"t2v_stage", kStages[stage]},
                                                             {"t2v_step", std::to_string(step)}};
            WAFT_RETURN_IF_ERROR(saveSdSingleFile(*m->text, *m->vae, *m->unet, config, inflation, out, meta));
            return prior::saveTrainingState(*m, optimizer, step, stageState(out));
        };
        for (int step = start; step < steps[stage]; ++step) {
            if (cancel.isCancelled()) return Status::cancelled();
            if (firstStep < 0) firstStep = doneBefore + step;
            auto generator = at::detail::createCPUGenerator(mix(mix(p.seed, 100 + uint64_t(stage)), uint64_t(step)));
            const auto noiseLike = [&](const torch::Tensor& like) {
                return at::normal(0.0, 1.0, like.sizes(), generator).to(like.device());
            };
            prior::AutocastScope autocast(*compute);
            torch::Tensor loss;
            if (stage == 0) {
                const Batch b = drawBatch(p, stage, step, p.batch);
                std::vector<cv::Mat> frames;
                std::mt19937 pickFrame{unsigned(step)};
                for (const auto& clip : b.clips) frames.push_back(clip[pickFrame() % clip.size()]);
                const torch::Tensor x = framesToTensor(frames, compute->device);
                auto [mean, logvar] = m->vae->encodeMoments(x);
                const torch::Tensor z = mean + torch::exp(0.5 * logvar) * noiseLike(mean);
                const torch::Tensor recon = m->vae->decodeUnscaled(z).to(torch::kFloat32);
                const torch::Tensor kl = 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).to(torch::kFloat32).mean();
                loss = (recon - x).abs().mean() + 0.5 * (recon - x).pow(2).mean() + 1e-6 * kl;
            } else {
                const int clips = video ? std::max(1, p.batch / 2) : p.batch;
                const int frames = video ? p.clip.frames : 1;
                Batch b = drawBatch(p, stage, step, clips);
                std::vector<cv::Mat> images;
                std::mt19937 pickFrame{unsigned(step)};
                for (auto& clip : b.clips) {
                    if (video)
                        images.insert(images.end(), clip.begin(), clip.end());
                    else
                        images.push_back(clip[pickFrame() % clip.size()]);
                }
                std::bernoulli_distribution dropCaption(0.1);  // CFG: learn the empty prompt too
                std::mt19937 dropRng{unsigned(mix(uint64_t(step), 7))};
                for (std::string& c : b.captions)
                    if (dropCaption(dropRng)) c.clear();
                torch::Tensor x0;
                {
                    torch::NoGradGuard noGrad;
                    x0 = m->vae->encode(framesToTensor(images, compute->device), clips * frames).to(torch::kFloat32);
                }
                const torch::Tensor states = captionStates(m, b.captions, **tokenizer, compute->device);
                const torch::Tensor context = states.unsqueeze(1)
                                                  .expand({clips, frames, states.size(1), states.size(2)})
                                                  .reshape({clips * frames, states.size(1), states.size(2)});
                const torch::Tensor t = at::randint(0, schedule.steps(), {clips}, generator, torch::kLong);
                const torch::Tensor tFrames = t.unsqueeze(1).expand({clips, frames}).reshape({clips * frames});
                const torch::Tensor abar = schedule.alphasCumprod.index_select(0, tFrames)
                                               .to(torch::kFloat32)
                                               .to(compute->device)
                                               .view({-1, 1, 1, 1});
                const torch::Tensor noise = noiseLike(x0);
                const torch::Tensor xt = abar.sqrt() * x0 + (1.0 - abar).sqrt() * noise;
                const torch::Tensor pred = m->unet->forward(xt, tFrames.to(compute->device), context, frames);
                loss = (pred.to(torch::kFloat32) - noise).pow(2).mean();
            }
            optimizer.zero_grad();
            loss.backward();
            torch::nn::utils::clip_grad_norm_(trained, 1.0);
            optimizer.step();
            lastLoss = loss.item<float>();
            lastStep = doneBefore + step + 1;
            progress.metric(std::string(kStages[stage]) + " loss", lastStep, lastLoss);
            progress.report(float(lastStep) / float(std::max(1, totalSteps)),
                            std::string(kStages[stage]) + " step " + std::to_string(step + 1) + "/" +
                                std::to_string(steps[stage]) + ", loss " + std::to_string(lastLoss).substr(0, 7));
            if (p.checkpointEvery > 0 && (step + 1) % p.checkpointEvery == 0 && step + 1 < steps[stage])
                WAFT_RETURN_IF_ERROR(save(step + 1));
        }
        if (stage == 0) {  // SD's latent scale: unit variance latents for the diffusion stages
            torch::NoGradGuard noGrad;
            m->eval();
            std::vector<cv::Mat> frames;
            const Batch b = drawBatch(p, 9, 0, 32);
            for (const auto& clip : b.clips) frames.push_back(clip[0]);
            const torch::Tensor means = m->vae->encodeMoments(framesToTensor(frames, compute->device)).first;
            config.vae.scalingFactor = float(1.0 / std::max(1e-3, means.to(torch::kFloat32).std().item<double>()));
            m->vae->config.scalingFactor = config.vae.scalingFactor;
        }
        WAFT_RETURN_IF_ERROR(save(steps[stage]));
        doneBefore += steps[stage];
    }
    m_summary = firstStep < 0
                    ? "every stage was already trained"
                    : "steps " + std::to_string(firstStep) + " to " + std::to_string(lastStep) + ", last loss " +
                          std::to_string(lastLoss).substr(0, 7) + "; the video model is " + stagePath(m_dir, "video");
    return Status::ok();
}

}  // namespace waft::engine::sd
