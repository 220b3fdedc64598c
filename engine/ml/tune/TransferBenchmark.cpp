#include "ml/tune/TransferBenchmark.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "ml/sd/TinyWorldJudge.h"
#include "ml/tune/MotionTransfer.h"

namespace waft::engine::tune {

namespace {

struct RowSpec {
    MotionObjective base;
    float lambdaGlobal, lambdaLocal;
    bool tune;
};

RowSpec rowSpec(const std::string& name) {
    const MotionObjective vmc = MotionObjective::Vmc, tav = MotionObjective::TuneAVideo;
    if (name == "no tuning") return {tav, 0.0f, 0.0f, false};
    if (name == "TAV") return {tav, 0.0f, 0.0f, true};
    if (name == "TAV + SMA global") return {tav, 0.4f, 0.0f, true};
    if (name == "TAV + SMA local") return {tav, 0.0f, 0.2f, true};
    if (name == "TAV + SMA") return {tav, 0.4f, 0.2f, true};
    if (name == "VMC") return {vmc, 0.0f, 0.0f, true};
    return {vmc, 0.4f, 0.2f, true};  // "VMC + SMA"
}

// Another appearance for the same motion: the colour two along the palette, the next shape.
sd::WorldSpec retarget(const sd::WorldSpec& s) {
    sd::WorldSpec t = s;
    t.colour = sd::WorldColour((int(s.colour) + 2) % sd::kWorldColours);
    t.shape = sd::WorldShape((int(s.shape) + 1) % sd::kWorldShapes);
    return t;
}

}  // namespace

const std::vector<std::string>& transferBenchRows() {
    static const std::vector<std::string> rows = {"no tuning", "TAV", "TAV + SMA global", "TAV + SMA local",
                                                  "TAV + SMA", "VMC", "VMC + SMA"};
    return rows;
}

std::string TransferBenchResult::table() const {
    std::string out =
        "| objective | clips | track error (frame units) | vs its base | new appearance | path kept | tuning s/step "
        "| s/clip |\n|---|---|---|---|---|---|---|---|\n";
    const auto baseOf = [&](const std::string& name) -> const TransferBenchRow* {
        const std::string base = name.rfind("VMC", 0) == 0 ? "VMC" : "TAV";
        if (name == base || name == "no tuning") return nullptr;
        for (const auto& r : rows)
            if (r.name == base) return &r;
        return nullptr;
    };
    char line[512];
    for (const TransferBenchRow& r : rows) {
        const TransferBenchRow* base = baseOf(r.name);
        char versus[32] = "–";
        if (base && base->trackError > 0)
            std::snprintf(versus, sizeof versus, "%+.0f%%", 100.0 * (r.trackError / base->trackError - 1.0));
        std::snprintf(line, sizeof line, "| %s | %d | %.4f | %s | %d/%d | %d/%d | %.2f | %.0f |\n", r.name.c_str(),
                      r.clips, r.trackError, versus, r.appearance, r.clips, r.pathKept, r.clips, r.tuneSecondsPerStep,
                      r.secondsPerClip);
        out += line;
    }
    std::snprintf(line, sizeof line, "\nJudge on the sources themselves: track error %.4f. Peak RSS %ld MB.\n",
                  sourceTrackError, peakRssMb);
    return out + line;
}

Status TransferBenchJob::run(Progress& progress, const CancelToken& cancel) {
    const TransferBenchParams& p = m_params;
    if (p.clips < 1 || p.clips > 1000) return Status::invalid("clips must be within 1..1000");
    std::vector<std::string> rows = p.rows.empty() ? transferBenchRows() : p.rows;
    for (const std::string& r : rows)
        if (std::find(transferBenchRows().begin(), transferBenchRows().end(), r) == transferBenchRows().end())
            return Status::invalid("unknown benchmark row \"" + r + "\"");
    std::error_code ec;
    std::filesystem::create_directories(p.workDir, ec);
    if (!std::filesystem::is_directory(p.workDir, ec)) return Status::io("cannot create " + p.workDir);
    std::vector<sd::WorldSpec> heldOut;
    for (const sd::WorldSpec& s : sd::allWorldSpecs())
        if (sd::isHeldOutWorldSpec(s)) heldOut.push_back(s);
    m_result = {};
    double sourceError = 0.0;
    std::vector<std::vector<cv::Mat>> sources;
    std::vector<sd::WorldJudgement> truths;
    for (int i = 0; i < p.clips; ++i) {
        const sd::WorldSpec& spec = heldOut[(size_t(i) * 37) % heldOut.size()];  // mixes colours, shapes, paths
        sources.push_back(sd::renderWorldClip(spec, p.clip, p.seed + unsigned(i)));
        truths.push_back(sd::judgeWorldClip(sources.back()));
        sourceError += sd::trackDistance(truths.back(), truths.back());
    }
    m_result.sourceTrackError = sourceError / p.clips;
    const int total = int(rows.size()) * p.clips;
    int done = 0;
    for (const std::string& name : rows) {
        const RowSpec spec = rowSpec(name);
        TransferBenchRow row;
        row.name = name;
        double tuneSeconds = 0.0, seconds = 0.0;
        for (int i = 0; i < p.clips; ++i) {
            if (cancel.isCancelled()) return Status::cancelled();
            const sd::WorldSpec& source = heldOut[(size_t(i) * 37) % heldOut.size()];
            const sd::WorldSpec target = retarget(source);
            TuneParams t;
            t.model = p.model;
            t.clip.frames8 = sources[size_t(i)];
            t.clip.frames = p.clip.frames;
            t.clip.width = p.clip.width;
            t.clip.height = p.clip.height;
            t.sourcePrompt = source.caption();
            t.targetPrompt = target.caption();
            t.steps = spec.tune ? p.steps : 0;
            t.learningRate = p.learningRate;
            t.seed = p.seed + unsigned(i);
            t.checkpointEvery = 0;
            t.sampleSteps = p.sampleSteps;
            t.guidance = p.guidance;
            std::string file = name + "-" + std::to_string(i);
            std::replace(file.begin(), file.end(), ' ', '-');
            std::replace(file.begin(), file.end(), '+', 'p');
            t.output = (std::filesystem::path(p.workDir) / (file + ".mp4")).string();
            t.compute = p.compute;
            MotionTransferOptions o;
            o.base = spec.base;
            o.lambdaGlobal = spec.lambdaGlobal;
            o.lambdaLocal = spec.lambdaLocal;
            auto method = std::make_shared<MotionTransferMethod>(o);
            VideoTuneJob job(name, "transfer", t, method, method->optionsJson());
            Progress inner([&](float f, const std::string& stage) {
                progress.report((float(done) + f) / float(total),
                                name + ", clip " + std::to_string(i + 1) + ": " + stage);
            });
            const auto start = std::chrono::steady_clock::now();
            WAFT_RETURN_IF_ERROR(job.run(inner, cancel));
            seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            tuneSeconds += job.tuneSeconds();
            const sd::WorldJudgement judged = sd::judgeWorldClip(job.result());
            row.trackError += sd::trackDistance(truths[size_t(i)], judged);
            row.appearance += judged.found && judged.colour == target.colour && judged.shape == target.shape;
            row.pathKept += judged.found && judged.path == source.path;
            ++row.clips;
            ++done;
        }
        row.trackError /= std::max(1, row.clips);
        row.secondsPerClip = seconds / std::max(1, row.clips);
        row.tuneSecondsPerStep = spec.tune && p.steps > 0 ? tuneSeconds / (double(p.steps) * row.clips) : 0.0;
        m_result.rows.push_back(row);
        progress.metric(name + " track error", done, row.trackError);
    }
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    m_result.peakRssMb = usage.ru_maxrss / 1024;
    return Status::ok();
}

}  // namespace waft::engine::tune
