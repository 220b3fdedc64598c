#include "ml/tune/VideoTune.h"

#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "core/JsonFields.h"
#include "core/JsonLimits.h"
#include "encode/ExportParams.h"
#include "encode/FfmpegEncoder.h"
#include "io/SafetensorsFile.h"
#include "io/SafetensorsWriter.h"
#include "io/VideoReader.h"
#include "ml/common/Ddim.h"
#include "ml/prior/ModelFile.h"
#include "ml/sd/SdPipeline.h"

namespace waft::engine::tune {

namespace {

constexpr int kMaxRangeFrames = 300;       // decoded from a range before the even pick (at most ~830 MB at 1280)
constexpr int kMaxDecodedLongSide = 1280;  // the output's size is the decoded one

uint64_t mix(uint64_t a, uint64_t b) {  // splitmix64: independent streams per (seed, step)
    uint64_t z = a * 0x9E3779B97F4A7C15ull + b + 0x632BE59BD9B4E019ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

std::string hex(uint64_t v) {
    char buffer[17];
    std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(v));
    return buffer;
}

std::string duration(double seconds) {
    const int s = int(std::max(0.0, std::round(seconds)));
    return s >= 60 ? std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s" : std::to_string(s) + "s";
}

Status checkParams(const TuneParams& p) {
    if (p.clip.frames < 2 || p.clip.frames > 32) return Status::invalid("frames must be within 2..32");
    if (!(p.clip.startSeconds >= 0.0) || !std::isfinite(p.clip.startSeconds))
        return Status::invalid("the range's start must be a time >= 0");
    if (p.clip.endSeconds >= 0.0 && p.clip.endSeconds <= p.clip.startSeconds)
        return Status::invalid("the range's end must come after its start");
    if (p.clip.width < 0 || p.clip.height < 0 || p.clip.width > 2048 || p.clip.height > 2048)
        return Status::invalid("size must be within 0..2048 (0: the clip's)");
    if (p.clip.maxLongSide < 8 || p.clip.maxLongSide > 2048)
        return Status::invalid("the work size's long side must be within 8..2048");
    if (p.steps < 0 || p.steps > 100000) return Status::invalid("steps must be within 0..100000");
    if (!(p.learningRate > 0.0f && p.learningRate <= 1.0f)) return Status::invalid("learning rate must be in (0, 1]");
    if (p.sampleSteps < 1 || p.sampleSteps > 1000) return Status::invalid("sampling steps must be within 1..1000");
    if (!(p.guidance >= 0.0f && p.guidance <= 50.0f)) return Status::invalid("guidance must be within 0..50");
    if (p.checkpointEvery < 0) return Status::invalid("checkpoint interval must be >= 0");
    if (p.targetPrompt.empty()) return Status::invalid("the new prompt is empty: say what the result should show");
    if (p.output.empty()) return Status::invalid("no output file");
    auto format = exportFormatForPath(p.output);
    if (!format || *format != ExportFormat::Mp4) return Status::invalid(p.output + ": the result must be an .mp4 file");
    if (p.useTuned && !std::filesystem::exists(p.tuned.empty() ? defaultTunedPath(p.output) : p.tuned))
        return Status::invalid("no tuned file to apply: " + (p.tuned.empty() ? defaultTunedPath(p.output) : p.tuned));
    return Status::ok();
}

// The work size: the requested one, or the clip's scaled to a long side of at most maxLongSide; multiples of `m`.
Expected<std::pair<int, int>> workSize(const TuneClip& clip, const cv::Size& source, int m) {
    int w = clip.width, h = clip.height;
    if (w == 0 || h == 0) {
        const double scale = std::min(1.0, double(clip.maxLongSide) / double(std::max(source.width, source.height)));
        w = int(source.width * scale) / m * m;
        h = int(source.height * scale) / m * m;
    }
    if (w < m || h < m || w % m || h % m)
        return Status::invalid("size " + std::to_string(w) + "x" + std::to_string(h) +
                               " must be positive multiples of " + std::to_string(m) + " for this model");
    return std::make_pair(w, h);
}

Status saveTuned(const std::string& path, const torch::OrderedDict<std::string, torch::Tensor>& trained,
                 const std::map<std::string, std::string>& meta) {
    SafetensorsWriter w;
    for (const auto& t : trained) {
        const torch::Tensor v = t.value().detach().to(torch::kCPU, torch::kFloat32).contiguous();
        WAFT_RETURN_IF_ERROR(w.addFloat(t.key(), v.sizes().vec(), v.data_ptr<float>()));
    }
    for (const auto& [k, v] : meta) w.setMetadata(k, v);
    return w.save(path).withContext(path);
}

// Reads a tuned file into `trained` after checking it is this method's, on this base model, with these tensors.
Expected<int> loadTuned(const std::string& path, const torch::OrderedDict<std::string, torch::Tensor>& trained,
                        const std::map<std::string, std::string>& expect) {
    auto file = SafetensorsFile::open(path);
    if (!file) return file.status();
    const auto& meta = file->metadata();
    const auto get = [&](const std::string& k) {
        const auto it = meta.find(k);
        return it == meta.end() ? std::string() : it->second;
    };
    if (get("waft_tuned").empty()) return Status::corrupt(path + ": not a Waft tuned file");
    if (get("waft_tuned") != expect.at("waft_tuned"))
        return Status::invalid(path + ": tuned by the " + quoteForError(get("waft_tuned"), 20) + " job, not this one");
    if (get("waft_base") != expect.at("waft_base"))
        return Status::invalid(path + ": tuned on another base model (base " + quoteForError(get("waft_base"), 20) +
                               ", this model is " + expect.at("waft_base") + ")");
    if (get("waft_inflation") != expect.at("waft_inflation"))
        return Status::invalid(path + ": tuned with attention " + quoteForError(get("waft_inflation"), 30) + ", not " +
                               expect.at("waft_inflation"));
    if (file->tensors().size() != trained.size())
        return Status::corrupt(path + ": holds " + std::to_string(file->tensors().size()) +
                               " tensors, this job trains " + std::to_string(trained.size()));
    torch::NoGradGuard noGrad;
    for (const auto& t : trained) {
        auto values = file->readFloat(t.key(), t.value().sizes().vec());
        if (!values) return values.status().withContext(path);
        for (float v : *values)
            if (!std::isfinite(v)) return Status::corrupt(path + ": " + t.key() + " holds NaN or infinity");
        t.value().copy_(torch::from_blob(values->data(), t.value().sizes(), torch::kFloat32));
    }
    return prior::metadataInt(meta, "waft_step", 0);
}

// Whether the tuned file at `path` was written by the run `run` (its waft_run metadata) describes.
bool sameRun(const std::string& path, const std::string& run) {
    auto meta = prior::readModelMetadata(path);
    if (!meta) return false;
    const auto it = meta->find("waft_run");
    return it != meta->end() && it->second == run;
}

}  // namespace

uint64_t TuneMethod::baseHash(sd::SdUNet&, const torch::OrderedDict<std::string, torch::Tensor>& trained) {
    std::vector<torch::Tensor> values;
    for (const auto& t : trained) values.push_back(t.value());
    return hashTensors(values);
}

uint64_t hashTensors(const std::vector<torch::Tensor>& tensors) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (const torch::Tensor& t : tensors) {
        const torch::Tensor v = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
        const auto* bytes = static_cast<const uint8_t*>(v.data_ptr());
        const size_t n = size_t(v.numel()) * sizeof(float);
        size_t i = 0;
        for (; i + 8 <= n; i += 8) {  // a word at a time: SD 1.5's query weights are ~120 MB
            uint64_t word;
            std::memcpy(&word, bytes + i, 8);
            h = (h ^ word) * 0x100000001b3ull;
        }
        for (; i < n; ++i) h = (h ^ bytes[i]) * 0x100000001b3ull;
        for (int64_t d : v.sizes()) h = (h ^ uint64_t(d)) * 0x100000001b3ull;
    }
    return h;
}

std::string defaultTunedPath(const std::string& output) {
    std::filesystem::path p(output);
    return (p.parent_path() / (p.stem().string() + ".tuned.safetensors")).string();
}

Expected<PickedClip> pickClipFrames(const TuneClip& clip, Progress::Range progress, const CancelToken& cancel) {
    Expected<VideoFrames> decoded = VideoFrames{};
    if (!clip.frames8.empty()) {
        for (size_t i = 0; i < clip.frames8.size(); ++i) {
            if (clip.frames8[i].type() != CV_8UC3 || clip.frames8[i].size() != clip.frames8[0].size())
                return Status::invalid("in-memory clip: frames must be BGR8 of one size");
            decoded->frames.push_back(clip.frames8[i]);
            decoded->timesSec.push_back(double(i) / std::max(1.0, clip.fps));
        }
    } else {
        DecodeParams decode;
        decode.startSec = clip.startSeconds;
        decode.maxFrames = clip.endSeconds < 0.0 ? clip.frames : kMaxRangeFrames;
        decode.maxLongSide = kMaxDecodedLongSide;
        decoded = decodeVideo(clip.video, decode, progress, cancel);
        if (!decoded) return decoded.status();
        if (clip.endSeconds >= 0.0 && int(decoded->frames.size()) >= kMaxRangeFrames &&
            decoded->timesSec.back() < clip.endSeconds - 1e-6)
            return Status::invalid(clip.video + ": the range holds more than " + std::to_string(kMaxRangeFrames) +
                                   " frames (up to " + std::to_string(decoded->timesSec.back()).substr(0, 6) +
                                   " s): choose a shorter range");
    }
    std::vector<size_t> inRange;
    for (size_t i = 0; i < decoded->frames.size(); ++i)
        if (clip.endSeconds < 0.0 || decoded->timesSec[i] <= clip.endSeconds + 1e-6) inRange.push_back(i);
    if (inRange.size() < size_t(clip.frames))
        return Status::invalid((clip.frames8.empty() ? clip.video : std::string("the clip")) + ": the range holds " +
                               std::to_string(inRange.size()) + " frames, " + std::to_string(clip.frames) +
                               " are needed");
    PickedClip out;
    std::vector<double> times;
    for (int k = 0; k < clip.frames; ++k) {  // evenly over the range, first and last included
        const size_t j = inRange[size_t(std::llround(double(k) * double(inRange.size() - 1) / (clip.frames - 1)))];
        out.frames.push_back(decoded->frames[j]);
        times.push_back(decoded->timesSec[j]);
    }
    const double span = times.back() - times.front();
    out.fps = span > 0.0 ? std::clamp(double(clip.frames - 1) / span, 1.0, 120.0) : 8.0;
    return out;
}

std::string VideoTuneJob::tunedPath() const {
    return m_params.tuned.empty() ? defaultTunedPath(m_params.output) : m_params.tuned;
}

std::optional<JobSpec> VideoTuneJob::resumeSpec() const {
    if (!m_params.clip.frames8.empty()) return std::nullopt;
    nlohmann::json j = nlohmann::json::parse(tuneParamsJson(m_params));
    j["method"] = nlohmann::json::parse(m_methodSpec);
    return JobSpec{m_specKind, m_name + " → " + m_params.output, j.dump()};
}

Status VideoTuneJob::run(Progress& progress, const CancelToken& cancel) {
    TuneParams& p = m_params;
    WAFT_RETURN_IF_ERROR(checkParams(p));
    if (!p.useTuned && p.sourcePrompt.empty())
        return Status::invalid("the source caption is empty: say what the clip shows (tuning needs it)");
    auto clip = pickClipFrames(p.clip, Progress::Range(progress, 0.0f, 0.03f), cancel);
    if (!clip) return clip.status();
    progress.report(0.03f, "loading the model");
    torch::manual_seed(p.seed);  // what inflation adds (temporal attention) starts the same for the same seed
    auto loaded = sd::loadSdModelForTuning(p.model, m_method->inflation(), p.compute);
    if (!loaded) return loaded.status();
    sd::SdModel& sd = **loaded;
    const int multiple = sd.vae->downsampleFactor() << (int(sd.files.config.unet.channels.size()) - 1);
    auto size = workSize(p.clip, clip->frames[0].size(), multiple);
    if (!size) return size.status();
    const auto [width, height] = *size;
    const int frames = p.clip.frames;
    std::vector<cv::Mat> work;
    for (const cv::Mat& f : clip->frames) {
        cv::Mat r;
        cv::resize(f, r, cv::Size(width, height), 0, 0, cv::INTER_AREA);
        work.push_back(r);
    }
    torch::Tensor clean;
    {
        torch::NoGradGuard noGrad;
        clean = sd::vaeEncode(sd, sd::framesToTensor(work, sd.compute.device));
    }
    const auto states = [&](const std::string& prompt) -> Expected<torch::Tensor> {
        auto s = sd::encodePrompt(sd, prompt);
        if (!s) return s.status();
        return s->expand({frames, s->size(1), s->size(2)});
    };
    auto source = states(p.sourcePrompt);
    if (!source) return source.status();

    const torch::OrderedDict<std::string, torch::Tensor> trained = m_method->prepare(sd.unet);
    m_trainedNumbers = 0;
    for (const auto& t : trained) m_trainedNumbers += t.value().numel();
    const std::map<std::string, std::string> identity = {
        {"waft_tuned", m_method->kind()},
        {"waft_base", hex(m_method->baseHash(sd.unet, trained))},
        {"waft_inflation", std::string(sd::frameAttentionName(sd.unet->inflation.selfAttention)) +
                               (sd.unet->inflation.temporalAttention ? "+temporal" : "")}};
    std::map<std::string, std::string> meta = identity;
    meta["waft_options"] = m_method->optionsJson();
    // What a resume must share with the run it continues (else it starts afresh): the clip, its captions, the
    // size and the method's options.
    meta["waft_run"] = nlohmann::json{
        {"video", p.clip.frames8.empty() ? p.clip.video : "(in memory)"},
        {"start", p.clip.startSeconds},
        {"end", p.clip.endSeconds},
        {"frames", frames},
        {"size", std::to_string(width) + "x" + std::to_string(height)},
        {"source", p.sourcePrompt},
        {"options", meta["waft_options"]},
        {"seed", p.seed},
        {"learning_rate",
         p.learningRate}}.dump();
    meta["waft_source_prompt"] = p.sourcePrompt;
    meta["waft_frames"] = std::to_string(frames);
    meta["waft_size"] = std::to_string(width) + "x" + std::to_string(height);
    const std::string tuned = tunedPath();
    const std::string state = prior::trainingStatePath(tuned);
    const ml::NoiseSchedule schedule = sd::sdSchedule();
    const auto started = std::chrono::steady_clock::now();
    int firstStep = 0, doneSteps = 0;
    if (p.useTuned) {
        auto step = loadTuned(tuned, trained, identity);
        if (!step) return step.status();
        doneSteps = *step;
    } else {
        sd.unet->gradientCheckpointing = p.gradientCheckpointing;
        std::vector<torch::Tensor> params;
        for (const auto& t : trained) params.push_back(t.value());
        torch::optim::AdamW optimizer(params, torch::optim::AdamWOptions(p.learningRate).weight_decay(1e-2));
        if (p.resume && std::filesystem::exists(tuned) && std::filesystem::exists(state) &&
            sameRun(tuned, meta.at("waft_run"))) {
            auto step = loadTuned(tuned, trained, identity);
            if (!step) return step.status();
            // The state holds the weights too: it decides where the run continues (a crash between the two saves
            // leaves the tuned file a checkpoint behind).
            auto s = prior::loadTrainingState(trained, optimizer, state);
            if (!s) return s.status();
            firstStep = std::min(*s, p.steps);
        }
        const auto save = [&](int step) {
            meta["waft_step"] = std::to_string(step);
            WAFT_RETURN_IF_ERROR(saveTuned(tuned, trained, meta));
            return prior::saveTrainingState(trained, optimizer, step, state);
        };
        sd.unet->train();
        const auto tuneStart = std::chrono::steady_clock::now();
        for (int step = firstStep; step < p.steps; ++step) {
            if (cancel.isCancelled()) return Status::cancelled();
            m_method->refresh(sd.unet);
            auto generator = at::detail::createCPUGenerator(mix(p.seed, uint64_t(step)));
            TuneBatch b;
            b.clean = clean;
            b.timestep = at::randint(0, schedule.steps(), {1}, generator, torch::kLong).item<int64_t>();
            b.alphaBar = schedule.alphasCumprod[b.timestep].item<double>();
            b.noise = at::normal(0.0, 1.0, clean.sizes(), generator).to(clean.device());
            b.noisy = std::sqrt(b.alphaBar) * clean + std::sqrt(1.0 - b.alphaBar) * b.noise;
            {
                prior::AutocastScope autocast(sd.compute);
                const torch::Tensor t = torch::full({1}, b.timestep, torch::dtype(torch::kLong).device(clean.device()));
                b.predicted = sd.unet->forward(b.noisy, t, *source, frames).to(torch::kFloat32);
            }
            LossTerms terms;
            const torch::Tensor loss = m_method->loss(b, terms);
            if (!std::isfinite(loss.item<double>()))
                return Status::corrupt("tuning diverged at step " + std::to_string(step + 1) +
                                       " (the loss is not finite): lower the learning rate");
            optimizer.zero_grad();
            loss.backward();
            torch::nn::utils::clip_grad_norm_(params, 1.0);
            optimizer.step();
            m_lastTerms = terms;
            doneSteps = step + 1;
            std::string label = "tuning step " + std::to_string(step + 1) + "/" + std::to_string(p.steps);
            for (const auto& [name, value] : terms) {
                progress.metric(name, step + 1, value);
                label += ", " + name + " " + std::to_string(value).substr(0, 6);
            }
            const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - tuneStart).count();
            label += ", ETA " + duration(elapsed / double(step + 1 - firstStep) * double(p.steps - step - 1));
            progress.report(0.05f + 0.75f * float(step + 1) / float(p.steps), label);
            if (p.checkpointEvery > 0 && (step + 1) % p.checkpointEvery == 0 && step + 1 < p.steps)
                WAFT_RETURN_IF_ERROR(save(step + 1));
        }
        m_tuneSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - tuneStart).count();
        WAFT_RETURN_IF_ERROR(save(p.steps));
        sd.unet->eval();
    }

    // Edit: invert the clip along the tuned model's ODE, then sample it under the new prompt.
    torch::NoGradGuard noGrad;
    m_method->refresh(sd.unet);
    auto empty = states("");
    if (!empty) return empty.status();
    auto target = states(p.targetPrompt);
    if (!target) return target.status();
    auto negative = p.negative.empty() ? empty : states(p.negative);
    if (!negative) return negative.status();
    const torch::Tensor inversionStates = m_method->invertWithSourcePrompt() ? *source : *empty;
    const auto first = [](const torch::Tensor& s) { return s.narrow(0, 0, 1); };
    const sd::SdGuidance inversion{first(inversionStates), {}, 1.0};
    const sd::SdGuidance guidance{first(*target), first(*negative), p.guidance};
    const auto options = sd::sdDdimOptions(p.sampleSteps);
    const torch::Tensor noise =
        ml::ddimInvert(sd::guidedEpsilon(sd, inversion, frames), clean, schedule, options, [&](int done, int total) {
            progress.report(0.8f + 0.08f * float(done) / float(total), "inverting the clip");
            return cancel.isCancelled();
        });
    if (!noise.defined()) return Status::cancelled();
    const torch::Tensor edited =
        ml::ddimSample(sd::guidedEpsilon(sd, guidance, frames), noise, schedule, options,
                       at::detail::createCPUGenerator(p.seed), {}, [&](int done, int total) {
                           progress.report(0.88f + 0.09f * float(done) / float(total), "sampling the new clip");
                           return cancel.isCancelled();
                       });
    if (!edited.defined()) return Status::cancelled();
    progress.report(0.97f, "writing " + p.output);
    m_result.clear();
    for (const cv::Mat& f : sd::tensorToFrames(sd::vaeDecode(sd, edited))) {
        cv::Mat r;
        cv::resize(f, r, clip->frames[0].size(), 0, 0, cv::INTER_CUBIC);
        m_result.push_back(r);
    }
    WAFT_RETURN_IF_ERROR(writeMp4Atomically(p.output, m_result, float(clip->fps)));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    m_summary = std::to_string(frames) + " frames at " + std::to_string(width) + "x" + std::to_string(height) + ", " +
                (p.useTuned ? "applied " + tuned + " (tuned " + std::to_string(doneSteps) + " steps)"
                            : "tuned " + std::to_string(doneSteps) + " steps → " + tuned) +
                ", " + duration(seconds);
    return Status::ok();
}

std::string tuneParamsJson(const TuneParams& p) {
    const nlohmann::json j = {{"model", p.model},
                              {"video", p.clip.video},
                              {"start", p.clip.startSeconds},
                              {"end", p.clip.endSeconds},
                              {"frames", p.clip.frames},
                              {"width", p.clip.width},
                              {"height", p.clip.height},
                              {"max_long_side", p.clip.maxLongSide},
                              {"source_prompt", p.sourcePrompt},
                              {"target_prompt", p.targetPrompt},
                              {"negative", p.negative},
                              {"steps", p.steps},
                              {"learning_rate", p.learningRate},
                              {"seed", p.seed},
                              {"checkpoint_every", p.checkpointEvery},
                              {"sample_steps", p.sampleSteps},
                              {"guidance", p.guidance},
                              {"output", p.output},
                              {"tuned", p.tuned},
                              {"use_tuned", p.useTuned},
                              {"gradient_checkpointing", p.gradientCheckpointing},
                              {"device", prior::computeDeviceName(p.compute.device)},
                              {"precision", prior::precisionName(p.compute.precision)}};
    return j.dump();
}

Expected<TuneParams> tuneParamsFromJson(const std::string& json) {
    auto fields = JsonFields::parse(json, "job spec");
    if (!fields) return fields.status();
    constexpr size_t kPath = 4096, kPrompt = 2000;
    TuneParams p;
    p.model = fields->string("model", "", kPath);
    p.clip.video = fields->string("video", "", kPath);
    p.clip.startSeconds = fields->real("start", 0.0, 0.0, 1e7);
    p.clip.endSeconds = fields->real("end", -1.0, -1.0, 1e7);
    p.clip.frames = fields->integer("frames", p.clip.frames, 2, 32);
    p.clip.width = fields->integer("width", 0, 0, 2048);
    p.clip.height = fields->integer("height", 0, 0, 2048);
    p.clip.maxLongSide = fields->integer("max_long_side", p.clip.maxLongSide, 8, 2048);
    p.sourcePrompt = fields->string("source_prompt", "", kPrompt);
    p.targetPrompt = fields->string("target_prompt", "", kPrompt);
    p.negative = fields->string("negative", "", kPrompt);
    p.steps = fields->integer("steps", p.steps, 0, 100000);
    p.learningRate = float(fields->real("learning_rate", p.learningRate, 1e-10, 1.0));
    p.seed = unsigned(fields->integer("seed", 0, 0, 1 << 30));
    p.checkpointEvery = fields->integer("checkpoint_every", p.checkpointEvery, 0, 100000);
    p.sampleSteps = fields->integer("sample_steps", p.sampleSteps, 1, 1000);
    p.guidance = float(fields->real("guidance", p.guidance, 0.0, 50.0));
    p.output = fields->string("output", "", kPath);
    p.tuned = fields->string("tuned", "", kPath);
    p.useTuned = fields->boolean("use_tuned", false);
    p.gradientCheckpointing = fields->boolean("gradient_checkpointing", false);
    const std::string device = fields->choice("device", "auto", {"auto", "cpu", "cuda"});
    const std::string precision = fields->choice("precision", "auto", {"auto", "fp32", "bf16", "fp16"});
    WAFT_RETURN_IF_ERROR(fields->status());
    if (p.model.empty() || p.clip.video.empty() || p.output.empty())
        return Status::corrupt("job spec names no model, video or output");
    prior::parseComputeDevice(device, p.compute.device);
    prior::parsePrecision(precision, p.compute.precision);
    p.resume = true;  // a journalled run continues from its checkpoint
    return p;
}

}  // namespace waft::engine::tune
