#include "ml/tune/TuneBenchmark.h"

#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "ml/sd/TinyWorldJudge.h"
#include "ml/tune/MotionTransfer.h"
#include "ml/tune/SpectralShift.h"

namespace waft::engine::tune {

namespace {

// One row: a method, its learning rate, and whether it tunes at all.
struct RowPlan {
    std::shared_ptr<TuneMethod> method;
    std::string spec;
    float learningRate = 0.0f;
    bool tune = true;
};

RowPlan transferRow(const std::string& name, const TuneBenchParams& p) {
    MotionTransferOptions o;
    o.base = name.rfind("VMC", 0) == 0 ? MotionObjective::Vmc : MotionObjective::TuneAVideo;
    const bool sma = name.find("SMA") != std::string::npos;
    o.lambdaGlobal = sma && name.find("local") == std::string::npos ? 0.4f : 0.0f;
    o.lambdaLocal = sma && name.find("global") == std::string::npos ? 0.2f : 0.0f;
    auto method = std::make_shared<MotionTransferMethod>(o);
    return {method, method->optionsJson(), p.learningRate, name != "no tuning"};
}

RowPlan editRow(const std::string& name, const TuneBenchParams& p) {
    EditOptions o;
    o.fullTune = name.rfind("full W^Q", 0) == 0;
    if (name == "SAVE without regulariser") o.lambda = 0.0f;
    o.trainTemporal = name == "SAVE + temporal";  // the other SAVE rows are the paper's δ's alone
    auto method = std::make_shared<SpectralShiftMethod>(o);
    return {method, method->optionsJson(), o.fullTune ? p.learningRate : p.saveLearningRate, name != "no tuning"};
}

// Motion transfer: another appearance for the same motion (the colour two along the palette, the next shape).
// Editing: another colour (even clips) or another shape (odd clips), the rest kept.
sd::WorldSpec retarget(const sd::WorldSpec& s, TuneBenchJob::Kind kind, int clip) {
    sd::WorldSpec t = s;
    const bool colour = kind == TuneBenchJob::Kind::Transfer || clip % 2 == 0;
    const bool shape = kind == TuneBenchJob::Kind::Transfer || clip % 2 == 1;
    if (colour)
        t.colour =
            sd::WorldColour((int(s.colour) + (kind == TuneBenchJob::Kind::Transfer ? 2 : 1)) % sd::kWorldColours);
    if (shape) t.shape = sd::WorldShape((int(s.shape) + 1) % sd::kWorldShapes);
    return t;
}

}  // namespace

const std::vector<std::string>& transferBenchRows() {
    static const std::vector<std::string> rows = {"no tuning",       "TAV",       "VMC",      "TAV + SMA global",
                                                  "TAV + SMA local", "TAV + SMA", "VMC + SMA"};
    return rows;
}

const std::vector<std::string>& editBenchRows() {
    static const std::vector<std::string> rows = {"no tuning",       "SAVE",     "SAVE without regulariser",
                                                  "SAVE + temporal", "full W^Q", "full W^Q at SAVE's time"};
    return rows;
}

std::string TuneBenchResult::table() const {
    std::string out =
        "| objective | clips | steps | track error (frame units) | vs its base | target appearance | path kept | "
        "frame consistency | trained numbers | tuning s/step | s/clip |\n|---|---|---|---|---|---|---|---|---|---|---|\n";
    const auto find = [&](const std::string& name) -> const TuneBenchRow* {
        for (const auto& r : rows)
            if (r.name == name) return &r;
        return nullptr;
    };
    char line[640];
    for (const TuneBenchRow& r : rows) {
        // SMA rows against the objective they add to.
        const TuneBenchRow* base =
            r.name.find(" + SMA") != std::string::npos ? find(r.name.substr(0, r.name.find(" + SMA"))) : nullptr;
        char versus[32] = "–";
        if (base && base->trackError > 0)
            std::snprintf(versus, sizeof versus, "%+.0f%%", 100.0 * (r.trackError / base->trackError - 1.0));
        std::snprintf(line, sizeof line, "| %s | %d | %d | %.4f | %s | %d/%d | %d/%d | %.2f | %lld | %.2f | %.0f |\n",
                      r.name.c_str(), r.clips, r.steps, r.trackError, versus, r.appearance, r.clips, r.pathKept,
                      r.clips, r.consistency, static_cast<long long>(r.trainedNumbers), r.tuneSecondsPerStep,
                      r.secondsPerClip);
        out += line;
    }
    std::snprintf(line, sizeof line,
                  "\nThe judge reads %d of the %d source clips as their own colour, shape and path. Peak RSS %ld MB.\n",
                  sourcesReadRight, sources, peakRssMb);
    return out + line;
}

Status TuneBenchJob::run(Progress& progress, const CancelToken& cancel) {
    const TuneBenchParams& p = m_params;
    const bool transfer = m_kind == Kind::Transfer;
    const std::vector<std::string>& all = transfer ? transferBenchRows() : editBenchRows();
    if (p.clips < 1 || p.clips > 1000) return Status::invalid("clips must be within 1..1000");
    if (p.steps < 1 || p.steps > 100000) return Status::invalid("steps must be within 1..100000");
    std::vector<std::string> rows = p.rows.empty() ? all : p.rows;
    for (const std::string& r : rows)
        if (std::find(all.begin(), all.end(), r) == all.end())
            return Status::invalid("unknown benchmark row \"" + r + "\"");
    // The time-matched row needs both rows it is matched from, run first.
    if (std::find(rows.begin(), rows.end(), "full W^Q at SAVE's time") != rows.end())
        for (const char* needed : {"full W^Q", "SAVE"})
            if (std::find(rows.begin(), rows.end(), needed) == rows.end()) rows.insert(rows.begin(), needed);
    std::error_code ec;
    std::filesystem::create_directories(p.workDir, ec);
    if (!std::filesystem::is_directory(p.workDir, ec)) return Status::io("cannot create " + p.workDir);
    std::vector<sd::WorldSpec> heldOut;
    for (const sd::WorldSpec& s : sd::allWorldSpecs())
        if (sd::isHeldOutWorldSpec(s)) heldOut.push_back(s);
    const auto sourceSpec = [&](int i) { return heldOut[(size_t(i) * 37) % heldOut.size()]; };  // mixes everything
    m_result = {};
    std::vector<std::vector<cv::Mat>> sources;
    std::vector<sd::WorldJudgement> truths;
    for (int i = 0; i < p.clips; ++i) {
        sources.push_back(sd::renderWorldClip(sourceSpec(i), p.clip, p.seed + unsigned(i)));
        truths.push_back(sd::judgeWorldClip(sources.back()));
        const sd::WorldJudgement& t = truths.back();
        const sd::WorldSpec spec = sourceSpec(i);
        m_result.sourcesReadRight += t.found && t.colour == spec.colour && t.shape == spec.shape && t.path == spec.path;
        ++m_result.sources;
    }
    const int total = int(rows.size()) * p.clips;
    int done = 0;
    for (const std::string& name : rows) {
        TuneBenchRow row;
        row.name = name;
        row.steps = p.steps;
        if (name == "full W^Q at SAVE's time") {  // the steps full tuning gets in SAVE's tuning time
            double save = 0.0, full = 0.0;
            for (const auto& r : m_result.rows) {
                if (r.name == "SAVE") save = r.tuneSecondsPerStep;
                if (r.name == "full W^Q") full = r.tuneSecondsPerStep;
            }
            row.steps = full > 0.0 ? std::max(1, int(std::lround(p.steps * save / full))) : p.steps;
        }
        double tuneSeconds = 0.0, seconds = 0.0, consistency = 0.0;
        for (int i = 0; i < p.clips; ++i) {
            if (cancel.isCancelled()) return Status::cancelled();
            const sd::WorldSpec source = sourceSpec(i);
            const sd::WorldSpec target = retarget(source, m_kind, i);
            const RowPlan plan = transfer ? transferRow(name, p) : editRow(name, p);
            TuneParams t;
            t.model = p.model;
            t.clip.frames8 = sources[size_t(i)];
            t.clip.frames = p.clip.frames;
            t.clip.width = p.clip.width;
            t.clip.height = p.clip.height;
            t.sourcePrompt = source.caption();
            t.targetPrompt = target.caption();
            t.steps = plan.tune ? row.steps : 0;
            t.learningRate = plan.learningRate;
            t.seed = p.seed + unsigned(i);
            t.checkpointEvery = 0;
            t.sampleSteps = p.sampleSteps;
            t.guidance = p.guidance;
            std::string file = name + "-" + std::to_string(i);
            for (char& c : file)
                if (!std::isalnum(static_cast<unsigned char>(c))) c = '-';
            t.output = (std::filesystem::path(p.workDir) / (file + ".mp4")).string();
            t.compute = p.compute;
            VideoTuneJob job(name, transfer ? "transfer" : "edit", t, plan.method, plan.spec);
            Progress inner([&](float f, const std::string& stage) {
                progress.report((float(done) + f) / float(total),
                                name + ", clip " + std::to_string(i + 1) + ": " + stage);
            });
            const auto start = std::chrono::steady_clock::now();
            WAFT_RETURN_IF_ERROR(job.run(inner, cancel));
            seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            tuneSeconds += job.tuneSeconds();
            row.trainedNumbers = plan.tune ? job.trainedNumbers() : 0;
            const sd::WorldJudgement judged = sd::judgeWorldClip(job.result());
            row.trackError += sd::trackDistance(truths[size_t(i)], judged);
            row.appearance += judged.found && judged.colour == target.colour && judged.shape == target.shape;
            row.pathKept += judged.found && judged.path == source.path;
            consistency += judged.consistency();
            ++row.clips;
            ++done;
        }
        row.trackError /= std::max(1, row.clips);
        row.consistency = consistency / std::max(1, row.clips);
        row.secondsPerClip = seconds / std::max(1, row.clips);
        row.tuneSecondsPerStep = row.steps > 0 && tuneSeconds > 0 ? tuneSeconds / (double(row.steps) * row.clips) : 0.0;
        m_result.rows.push_back(row);
        progress.metric(name + " track error", done, row.trackError);
    }
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    m_result.peakRssMb = usage.ru_maxrss / 1024;
    return Status::ok();
}

}  // namespace waft::engine::tune
