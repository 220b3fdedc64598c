#include "ml/JobSpecs.h"

#include "core/JsonFields.h"
#include "core/JsonLimits.h"
#include "ml/prior/TrainPriorJob.h"
#include "ml/prior/TrainVaeJob.h"
#include "ml/render/TrainRendererJob.h"
#include "ml/sd/TrainT2vJob.h"
#include "ml/tune/TuneParams.h"

namespace waft::engine {

Expected<std::unique_ptr<Job>> jobFromSpec(const JobSpec& spec) {
    auto fields = JsonFields::parse(spec.paramsJson, "job spec '" + spec.kind + "'", 64 * 1024, 4);
    if (!fields) return fields.status();
    constexpr size_t kMaxPath = 4096;
    std::unique_ptr<Job> job;
    if (spec.kind == "train-vae") {
        const std::string dataset = fields->string("dataset", "", kMaxPath);
        const std::string out = fields->string("out", "", kMaxPath);
        JsonFields run = fields->object("run");
        const prior::TrainingRunParams params = prior::trainingRunFromJson(run);
        WAFT_RETURN_IF_ERROR(fields->status());
        if (dataset.empty() || out.empty()) return Status::corrupt("job spec 'train-vae' names no dataset or output");
        job = std::make_unique<prior::TrainVaeJob>(dataset, out, params);
    } else if (spec.kind == "train-prior") {
        const std::string dataset = fields->string("dataset", "", kMaxPath);
        const std::string vae = fields->string("vae", "", kMaxPath);
        const std::string out = fields->string("out", "", kMaxPath);
        const int stage = fields->integer("stage", 1, 1, 2);
        const std::string init = fields->string("init", "", kMaxPath);
        JsonFields run = fields->object("run");
        const prior::TrainingRunParams params = prior::trainingRunFromJson(run);
        WAFT_RETURN_IF_ERROR(fields->status());
        if (dataset.empty() || vae.empty() || out.empty())
            return Status::corrupt("job spec 'train-prior' names no dataset, VAE or output");
        job = std::make_unique<prior::TrainPriorJob>(dataset, vae, out, stage, init, params);
    } else if (spec.kind == "train-t2v") {
        const std::string out = fields->string("out", "", kMaxPath);
        sd::T2vRunParams p;
        p.clip.width = fields->integer("width", p.clip.width, 16, 256);
        p.clip.height = fields->integer("height", p.clip.height, 16, 256);
        p.clip.frames = fields->integer("frames", p.clip.frames, 2, 32);
        p.vaeSteps = fields->integer("vae_steps", p.vaeSteps, 0, 10000000);
        p.imageSteps = fields->integer("image_steps", p.imageSteps, 0, 10000000);
        p.videoSteps = fields->integer("video_steps", p.videoSteps, 0, 10000000);
        p.batch = fields->integer("batch", p.batch, 2, 256);
        p.learningRate = float(fields->real("learning_rate", p.learningRate, 1e-8, 1.0));
        p.seed = unsigned(fields->integer("seed", 0, 0, 1 << 30));
        p.checkpointEvery = fields->integer("checkpoint_every", p.checkpointEvery, 0, 10000000);
        const std::string device = fields->choice("device", "auto", {"auto", "cpu", "cuda"});
        WAFT_RETURN_IF_ERROR(fields->status());
        if (out.empty()) return Status::corrupt("job spec 'train-t2v' names no output folder");
        prior::parseComputeDevice(device, p.compute.device);
        p.resume = true;  // a journalled run continues from its checkpoints
        job = std::make_unique<sd::TrainT2vJob>(out, p);
    } else if (spec.kind == "train-renderer") {
        auto renderer = render::trainRendererJobFromSpec(spec.paramsJson);
        if (!renderer) return renderer.status();
        job = std::move(*renderer);
    } else if (spec.kind == "transfer" || spec.kind == "edit") {
        auto tuned = spec.kind == "transfer" ? tune::motionTransferJobFromSpec(spec.paramsJson)
                                             : tune::editJobFromSpec(spec.paramsJson);
        if (!tuned) return tuned.status();
        job = std::move(*tuned);
    } else {
        return Status::error(
            StatusCode::Unsupported,
            "unknown job kind " + quoteForError(spec.kind, 40) +
                " (this Waft resumes train-vae, train-prior, train-t2v, train-renderer, transfer and edit)");
    }
    return job;
}

}  // namespace waft::engine
