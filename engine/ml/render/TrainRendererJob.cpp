#include "ml/render/TrainRendererJob.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "core/JsonFields.h"
#include "core/JsonLimits.h"
#include "ml/dist/DataParallel.h"
#include "ml/prior/Compute.h"
#include "ml/prior/ModelFile.h"
#include "ml/prior/PriorTraining.h"
#include "ml/prior/TrainingData.h"
#include "ml/render/NeuralRenderer.h"
#include "ml/render/RendererPairs.h"
#include "ml/render/Vgg16Features.h"

namespace fs = std::filesystem;

namespace waft::engine::render {

namespace {

using Json = nlohmann::json;

// Where one batch item comes from: a pair, a crop's corner and a horizontal flip.
struct CropDraw {
    int64_t pair = 0;
    int x = 0, y = 0;
    bool flip = false;
};

// Every draw of a run comes from one generator seeded by the run, in a fixed count per step, so a resumed run
// replays the steps before it and draws what an uninterrupted one would.
class CropSampler {
public:
    CropSampler(const std::vector<RendererPair>& pairs, int cropWidth, int cropHeight, unsigned long seed)
        : m_pairs(pairs), m_w(cropWidth), m_h(cropHeight), m_rng(unsigned(seed)) {}
    CropDraw draw() {
        CropDraw d;
        d.pair = std::uniform_int_distribution<int64_t>(0, int64_t(m_pairs.size()) - 1)(m_rng);
        const RendererPair& p = m_pairs[size_t(d.pair)];
        d.x = std::uniform_int_distribution<int>(0, int(p.target.size(2)) - m_w)(m_rng);
        d.y = std::uniform_int_distribution<int>(0, int(p.target.size(1)) - m_h)(m_rng);
        d.flip = std::uniform_int_distribution<int>(0, 1)(m_rng) == 1;
        return d;
    }
    // [B, C, h, w] stacks of every pair tensor for `count` draws.
    std::vector<torch::Tensor> batch(int count) {
        std::vector<std::vector<torch::Tensor>> parts(5);
        for (int i = 0; i < count; ++i) {
            const CropDraw d = draw();
            const RendererPair& p = m_pairs[size_t(d.pair)];
            const auto crop = [&](const torch::Tensor& t) { return t.narrow(1, d.y, m_h).narrow(2, d.x, m_w); };
            torch::Tensor items[5] = {crop(p.reference), crop(p.flow), crop(p.weights), crop(p.baseline),
                                      crop(p.target)};
            if (d.flip) {
                for (torch::Tensor& t : items) t = t.flip({2});
                items[1] = items[1] * torch::tensor({-1.0f, 1.0f}).view({2, 1, 1});  // x displacements change sign
            }
            for (int k = 0; k < 5; ++k) parts[size_t(k)].push_back(items[k]);
        }
        std::vector<torch::Tensor> out;
        for (auto& list : parts) out.push_back(torch::stack(list));
        return out;
    }

private:
    const std::vector<RendererPair>& m_pairs;
    int m_w, m_h;
    std::mt19937 m_rng;
};

// The renderer's loss (GID §5 without the optional perceptual term): a pixel term + `gradient` × multi-scale
// gradient L1.
// The pixel term is L1 or 10 × MSE (RendererLoss): with L1 the network stayed at the fast renderer's output on
// real clips, since where the flow is wrong the median target is the warped frame itself (docs/BENCHMARKS.md).
// LogL2 is the mean over the batch's crops of ln(each crop's L2 loss + 1e-4): the mean PSNR over frames counts
// every frame's dB alike, but a plain MSE is ruled by the worst crops (where the flow is wrong: 40× the error of
// a well-flowed clip), so it weighs each crop by one over its own loss, as the mean of dB does.
torch::Tensor rendererLoss(const torch::Tensor& frame, const torch::Tensor& target, RendererLoss kind, float gradient) {
    if (kind == RendererLoss::LogL2) {
        std::vector<torch::Tensor> logs;
        logs.reserve(size_t(frame.size(0)));
        for (int64_t i = 0; i < frame.size(0); ++i)
            logs.push_back(torch::log(
                rendererLoss(frame.narrow(0, i, 1), target.narrow(0, i, 1), RendererLoss::L2, gradient) + 1e-4));
        return torch::stack(logs).mean();
    }
    const torch::Tensor pixel =
        kind == RendererLoss::L1 ? (frame - target).abs().mean() : 10.0 * (frame - target).pow(2).mean();
    return gradient > 0.0f ? pixel + gradient * prior::multiScaleGradientL1(frame, target) : pixel;
}

}  // namespace

const char* rendererLossName(RendererLoss loss) {
    return loss == RendererLoss::L1 ? "l1" : loss == RendererLoss::L2 ? "l2" : "log-l2";
}

bool parseRendererLoss(const std::string& name, RendererLoss& out) {
    for (RendererLoss loss : {RendererLoss::L1, RendererLoss::L2, RendererLoss::LogL2})
        if (name == rendererLossName(loss)) return out = loss, true;
    return false;
}

Status TrainRendererJob::run(Progress& progress, const CancelToken& cancel) {
    const prior::TrainingRunParams& run = m_params.run;
    if (run.width % 16 || run.height % 16 || run.width < 16 || run.height < 16)
        return Status::invalid("the training crop must be multiples of 16 (--size)");
    const std::vector<std::string> videos = videosIn(m_videoDir);
    if (videos.empty()) return Status::invalid(m_videoDir + ": no video files (.avi, .mp4, .mov, .mkv, .webm)");
    std::vector<RendererPair> pairs;
    int64_t bytes = 0;
    for (size_t i = 0; i < videos.size(); ++i) {
        const float a = 0.2f * float(i) / float(videos.size()), b = 0.2f * float(i + 1) / float(videos.size());
        auto clip = rendererPairsFromVideo(videos[i], m_params.pairs, progress, a, b, cancel);
        if (!clip) return clip.status();
        for (RendererPair& p : *clip) {
            if (p.target.size(1) < run.height || p.target.size(2) < run.width) continue;
            bytes += pairBytes(p);
            if (bytes > kMaxPairBytes)
                return Status::invalid("the pairs of " + std::to_string(i + 1) +
                                       " clips need more than 6 GiB; use fewer pairs or a smaller --max-side");
            pairs.push_back(std::move(p));
        }
    }
    if (pairs.empty()) return Status::invalid("no pair is at least as large as the training crop");
    if (m_params.synthetic > 0.0) {
        progress.report(0.2f, "synthetic layered pairs");
        const int count = int(std::lround(m_params.synthetic * double(pairs.size())));
        // Each is the size of a real pair: refused before any is built when they would not fit the budget.
        int64_t largest = 0;
        for (const RendererPair& p : pairs) largest = std::max(largest, pairBytes(p));
        if (bytes + int64_t(count) * largest > kMaxPairBytes)
            return Status::invalid("the pairs with " + std::to_string(count) +
                                   " synthetic ones need more than 6 GiB; use a smaller --synthetic");
        auto synthetic = syntheticLayeredPairs(pairs, count, run.seed, cancel);
        if (!synthetic) return synthetic.status();
        for (RendererPair& p : *synthetic) pairs.push_back(std::move(p));
    }
    m_pairs = int(pairs.size());

    NeuralRenderer model = dist::seededModel(run.seed, [&] { return NeuralRenderer(rendererPreset(run.preset)); });
    // Training keeps about three times inference's activations per crop (forward, backward, optimizer).
    if (rendererActivationBytes(model->config, run.width, run.height) * run.batch * 3 > 2 * kMaxRendererActivationBytes)
        return Status::invalid("a batch of " + std::to_string(run.batch) + " crops of " + std::to_string(run.width) +
                               "x" + std::to_string(run.height) +
                               " needs more than 12 GiB; use a smaller batch or crop");
    int firstStep = 0;
    const bool resumed = run.resume && fs::exists(m_outPath);
    if (resumed) {
        auto loaded = loadNeuralRenderer(m_outPath);
        if (!loaded) return loaded.status();
        model = *loaded;
        auto meta = prior::readModelMetadata(m_outPath);
        if (!meta) return meta.status();
        firstStep = std::clamp(prior::metadataInt(*meta, "step", 0), 0, run.steps);
    }
    auto compute = prior::resolveCompute(run.compute, true);
    if (!compute) return compute.status();
    Vgg16Features vgg{nullptr};
    if (!m_params.vggPath.empty()) {
        auto loaded = loadVgg16Features(m_params.vggPath, compute->device);
        if (!loaded) return loaded.status();
        vgg = *loaded;
    }
    const auto totalLoss = [&](const torch::Tensor& frame, const torch::Tensor& target) {
        torch::Tensor l = rendererLoss(frame, target, m_params.loss, m_params.gradientWeight);
        return vgg ? l + m_params.perceptualWeight * vgg->perceptualLoss(frame, target) : l;
    };
    // The EMA's copy has the (possibly resumed) model's config; built under the default generator's lock too.
    NeuralRenderer averaged = dist::seededModel(run.seed, [&] { return NeuralRenderer(model->config); });
    model->to(compute->device);
    model->train();
    torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(run.learningRate).weight_decay(0.0));
    prior::EmaWeights ema(*model, 0.999f);
    CropSampler sampler(pairs, run.width, run.height, run.seed);
    dist::Communicator* communicator = m_communicator.get();
    const int world = dist::worldSizeOf(communicator);
    int64_t drawn = 0;  // crops the sampler has given out, over every run of this model
    if (resumed) {
        ema.setUpdates(firstStep);
        auto meta = prior::readModelMetadata(m_outPath);
        if (!meta) return meta.status();
        drawn = prior::samplesDrawn(*meta, firstStep, run.batch);
        for (int64_t s = 0; s < drawn; ++s) sampler.draw();
        const std::string statePath = prior::trainingStatePath(m_outPath);
        if (fs::exists(statePath)) {
            auto meta = prior::readModelMetadata(statePath);
            if (!meta) return meta.status();
            if (prior::metadataInt(*meta, "step", -1) == firstStep) {
                auto state = prior::loadTrainingState(*model, optimizer, statePath);
                if (!state) return state.status();
            } else {
                progress.report(0.2f, "training state is from another step: resuming from the EMA weights");
            }
        } else {
            progress.report(0.2f, "no training state beside the model: resuming from the EMA weights");
        }
    }
    WAFT_RETURN_IF_ERROR(dist::startRun(communicator, *model, optimizer, firstStep, int64_t(pairs.size())));
    m_firstStep = firstStep;
    const auto write = [&](int step) {
        ema.copyTo(*averaged);
        WAFT_RETURN_IF_ERROR(saveNeuralRenderer(averaged, m_outPath,
                                                {{"step", std::to_string(step)},
                                                 {"pairs", std::to_string(m_pairs)},
                                                 {"world_size", std::to_string(world)},
                                                 {"samples_drawn", std::to_string(drawn)}}));
        return prior::saveTrainingState(*model, optimizer, step, prior::trainingStatePath(m_outPath), world);
    };
    const auto save = [&](int step) { return dist::saveOnMain(communicator, [&] { return write(step); }); };
    const auto loopStart = std::chrono::steady_clock::now();
    for (int step = firstStep; step < run.steps; ++step) {
        auto stop = dist::stopBeforeStep(communicator, step, cancel);
        if (!stop) return stop.status();
        if (*stop) return Status::cancelled();
        if (m_params.cosineDecay) {
            // To a tenth of the rate over the run: the last steps refine rather than wander. A function of the
            // step and the run's length, so a resume with the same --steps follows the same curve.
            const double lr =
                run.learningRate * (0.1 + 0.45 * (1.0 + std::cos(M_PI * double(step) / double(run.steps))));
            for (torch::optim::OptimizerParamGroup& group : optimizer.param_groups())
                static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr);
        }
        // Every rank draws the global batch's crops and trains on its share.
        std::vector<torch::Tensor> b = sampler.batch(run.batch * world);
        drawn += int64_t(run.batch) * world;
        for (torch::Tensor& t : b)
            t = (communicator ? t.narrow(0, int64_t(communicator->rank()) * run.batch, run.batch) : t)
                    .to(compute->device);
        torch::Tensor loss;
        {
            prior::AutocastScope autocast(*compute);
            const torch::Tensor frame = model->forward(b[0], b[1], b[2], b[3]);
            loss = totalLoss(frame.to(torch::kFloat32), b[4]);
        }
        optimizer.zero_grad();
        loss.backward();
        if (communicator) {
            torch::Tensor mean = loss.detach();
            WAFT_RETURN_IF_ERROR(communicator->averageGradients(model->parameters(), &mean));
            loss = mean;
        }
        if (!std::isfinite(loss.item<float>()))
            return Status::error(StatusCode::Internal, "renderer loss is not finite");
        optimizer.step();
        ema.update(*model);
        // Means over the last 50 steps, and the fast renderer's loss on the same crops: what training has won.
        float fast = 0.0f;
        {
            torch::NoGradGuard noGrad;
            fast = totalLoss(b[3], b[4]).item<float>();
        }
        const float a = 1.0f / float(std::min(50, step - firstStep + 1));
        m_lastLoss += a * (loss.item<float>() - m_lastLoss);
        m_fastLoss += a * (fast - m_fastLoss);
        progress.metric("loss", step + 1, loss.item<float>());
        progress.metric("fast renderer loss", step + 1, fast);
        progress.report(0.2f + 0.8f * float(step + 1) / float(run.steps), "training");
        if (run.checkpointEvery > 0 && (step + 1) % run.checkpointEvery == 0) WAFT_RETURN_IF_ERROR(save(step + 1));
    }
    m_communication = dist::communicationSummary(
        communicator, std::chrono::duration<double>(std::chrono::steady_clock::now() - loopStart).count());
    return save(std::max(firstStep, run.steps));
}

std::string TrainRendererJob::summary() const {
    char fast[64];
    std::snprintf(fast, sizeof fast, " (fast renderer %.5f on the same crops)", m_fastLoss);
    return prior::trainingSummary(m_firstStep, m_params.run.steps, m_lastLoss) + fast + ", " + std::to_string(m_pairs) +
           " pairs";
}

namespace {

Json pairsJson(const RendererPairParams& p) {
    return {{"from", p.from},
            {"to", p.to},
            {"max_long_side", p.maxLongSide},
            {"min_gap", p.minGap},
            {"max_gap", p.maxGap},
            {"pairs_per_clip", p.pairsPerClip},
            {"backward", p.backward},
            {"flow", flowMethodName(p.flow)}};
}

RendererPairParams pairsFromJson(JsonFields& f) {
    RendererPairParams p;
    p.from = f.real("from", p.from, 0.0, 1.0);
    p.to = f.real("to", p.to, 0.0, 1.0);
    p.maxLongSide = f.integer("max_long_side", p.maxLongSide, 32, 1024);
    p.minGap = f.integer("min_gap", p.minGap, 1, 64);
    p.maxGap = f.integer("max_gap", p.maxGap, 1, 64);
    p.pairsPerClip = f.integer("pairs_per_clip", p.pairsPerClip, 1, 4096);
    p.backward = f.boolean("backward", false);
    // Specs written before the choice existed were of DIS pairs.
    parseFlowMethod(f.choice("flow", "dis", {"dis", "accurate"}), p.flow);
    return p;
}

}  // namespace

std::optional<JobSpec> TrainRendererJob::resumeSpec() const {
    for (const std::string* p : {&m_videoDir, &m_outPath, &m_params.vggPath})
        if (!isValidUtf8(*p)) return std::nullopt;
    std::error_code ec;
    const Json params = {
        {"videos", fs::absolute(m_videoDir, ec).string()},
        {"out", fs::absolute(m_outPath, ec).string()},
        {"run", Json::parse(prior::trainingRunToJson(m_params.run))},
        {"pairs", pairsJson(m_params.pairs)},
        {"loss", rendererLossName(m_params.loss)},
        {"gradient_weight", m_params.gradientWeight},
        {"synthetic", m_params.synthetic},
        {"lr_schedule", m_params.cosineDecay ? "cosine" : "constant"},
        {"vgg", m_params.vggPath.empty() ? std::string() : fs::absolute(m_params.vggPath, ec).string()},
        {"perceptual_weight", m_params.perceptualWeight}};
    return JobSpec{"train-renderer", "train neural renderer → " + fs::path(m_outPath).filename().string(),
                   params.dump()};
}

Expected<std::unique_ptr<Job>> trainRendererJobFromSpec(const std::string& paramsJson) {
    auto fields = JsonFields::parse(paramsJson, "job spec 'train-renderer'", 64 * 1024, 4);
    if (!fields) return fields.status();
    const std::string videos = fields->string("videos", "", 4096), out = fields->string("out", "", 4096);
    JsonFields run = fields->object("run");
    JsonFields pairs = fields->object("pairs");
    TrainRendererParams p;
    p.run = prior::trainingRunFromJson(run);
    p.pairs = pairsFromJson(pairs);
    parseRendererLoss(fields->choice("loss", "l2", {"l1", "l2", "log-l2"}), p.loss);
    p.gradientWeight = float(fields->real("gradient_weight", 0.2, 0.0, 10.0));  // what runs before it used
    p.synthetic = fields->real("synthetic", 0.0, 0.0, 4.0);
    p.cosineDecay = fields->choice("lr_schedule", "constant", {"constant", "cosine"}) == "cosine";
    p.vggPath = fields->string("vgg", "", 4096);
    p.perceptualWeight = float(fields->real("perceptual_weight", p.perceptualWeight, 0.0, 100.0));
    WAFT_RETURN_IF_ERROR(fields->status());
    if (videos.empty() || out.empty()) return Status::corrupt("job spec 'train-renderer' names no videos or output");
    p.run.resume = true;
    std::unique_ptr<Job> job = std::make_unique<TrainRendererJob>(videos, out, p);
    return job;
}

}  // namespace waft::engine::render
