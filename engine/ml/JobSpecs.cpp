#include "ml/JobSpecs.h"

#include "core/JsonFields.h"
#include "core/JsonLimits.h"
#include "ml/prior/TrainPriorJob.h"
#include "ml/prior/TrainVaeJob.h"

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
    } else {
        return Status::error(StatusCode::Unsupported, "unknown job kind " + quoteForError(spec.kind, 40) +
                                                          " (this Waft resumes train-vae and train-prior)");
    }
    return job;
}

}  // namespace waft::engine
