// waft-cli jobs / resume: the journal of interrupted resumable jobs (core/JobJournal.h), shared with the app.
#include <cstdio>
#include <ctime>

#include "CliArgs.h"
#include "Commands.h"
#include "core/JobJournal.h"
#include "ml/JobSpecs.h"

namespace waft::app {

namespace {

constexpr const char* kJobsUsage =
    "waft-cli jobs [--discard ID]\n"
    "  lists interrupted training jobs (killed, stopped by SIGTERM, or the app closed while they ran): id, start\n"
    "  time, what they were doing; `waft-cli resume ID` continues one from its last checkpoint. --discard ID\n"
    "  forgets one (its checkpoints stay). The journal lives in $WAFT_STATE_DIR or ~/.local/state/waft/jobs.\n";
constexpr const char* kResumeUsage =
    "waft-cli resume ID\n"
    "  continues an interrupted job (see `waft-cli jobs`) from its last checkpoint, with its own parameters.\n";

std::string localTime(long long unixSec) {
    const std::time_t t = std::time_t(unixSec);
    std::tm tm{};
    localtime_r(&t, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M", &tm);
    return text;
}

}  // namespace

int runJobs(const std::vector<std::string>& args) {
    CliArgs cli({"--discard"}, {"--help"});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), kJobsUsage);
    if (cli.helpRequested()) return std::fputs(kJobsUsage, stdout), 0;
    if (!cli.positionals().empty()) return usageError("jobs takes no arguments", kJobsUsage);
    const engine::JobJournal journal(engine::JobJournal::defaultDir());
    std::vector<std::string> problems;
    const auto entries = journal.entries(&problems);
    if (cli.has("--discard")) {
        const std::string id = cli.string("--discard", "");
        for (const auto& e : entries) {
            if (e.id != id) continue;
            if (e.ownerAlive) return fail(engine::Status::invalid("job " + id + " is still running"));
            journal.remove(id);
            std::printf("discarded %s (%s)\n", id.c_str(), e.spec.title.c_str());
            return 0;
        }
        // An entry that cannot be read (cut short by a power loss, say) can still be discarded by its id.
        for (const std::string& p : problems)
            if (p.rfind(id + ".json:", 0) == 0) {
                journal.remove(id);
                std::printf("discarded %s (unreadable)\n", id.c_str());
                return 0;
            }
        return fail(engine::Status::invalid("no interrupted job " + id + " (see waft-cli jobs)"));
    }
    for (const std::string& p : problems) std::fprintf(stderr, "waft-cli: skipped %s\n", p.c_str());
    if (entries.empty()) std::printf("no interrupted jobs\n");
    for (const auto& e : entries)
        std::printf("%s  %s  %s%s\n", e.id.c_str(), localTime(e.startedUnixSec).c_str(), e.spec.title.c_str(),
                    e.ownerAlive ? "  (running)" : "  (interrupted)");
    return 0;
}

int runResume(const std::vector<std::string>& args) {
    CliArgs cli({}, {"--help"});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), kResumeUsage);
    if (cli.helpRequested()) return std::fputs(kResumeUsage, stdout), 0;
    if (cli.positionals().size() != 1) return usageError("need the job's ID (see waft-cli jobs)", kResumeUsage);
    const std::string id = cli.positionals()[0];
    const engine::JobJournal journal(engine::JobJournal::defaultDir());
    for (const auto& e : journal.entries()) {
        if (e.id != id) continue;
        if (e.ownerAlive) return fail(engine::Status::invalid("job " + id + " is still running"));
        auto job = engine::jobFromSpec(e.spec);
        if (!job) return fail(job.status().withContext("job " + id));
        if (auto s = journal.claim(id); !s) return fail(s);  // the app or another resume may have taken it
        std::printf("resuming %s\n", e.spec.title.c_str());
        // The resumed run's own entry replaces this one once it is written.
        if (auto s = runJobWithProgress(**job, id); !s) return fail(s);
        std::printf("%s: done (%s)\n", e.spec.title.c_str(), (*job)->summary().c_str());
        return 0;
    }
    return fail(engine::Status::invalid("no interrupted job " + id + " (see waft-cli jobs)"));
}

}  // namespace waft::app
