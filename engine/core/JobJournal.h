#pragma once

#include <string>
#include <vector>

#include "core/Job.h"

namespace waft::engine {

// A job spec left behind by a process that did not see its job end.
struct JournalEntry {
    std::string id;  // the file's name without .json
    JobSpec spec;
    long long startedUnixSec = 0;
    bool ownerAlive = false;  // its job still runs, or is being resumed: in another process (the CLI, a second
                              // window) or in this one
};

// Resumable jobs on disk: one small JSON file per running job that has a resumeSpec(), written when it
// starts and removed when it ends on its own (done, failed, cancelled by the user). A job cut short by a
// crash, kill -9, power loss or the app closing leaves its file, and the next start offers to resume it.
// Files are written atomically (temporary + rename) and read as untrusted (size cap, JsonFields, at most
// kMaxEntries files). Any thread; the files are the only state.
class JobJournal {
public:
    static constexpr size_t kMaxEntries = 64;
    static constexpr size_t kMaxFileBytes = 64 * 1024;

    explicit JobJournal(std::string dir);
    // $WAFT_STATE_DIR, else $XDG_STATE_HOME/waft/jobs, else ~/.local/state/waft/jobs.
    static std::string defaultDir();

    const std::string& dir() const { return m_dir; }
    // Returns the entry's id.
    Expected<std::string> record(const JobSpec& spec) const;
    // Journals a job that has a resumeSpec(): its entry id, or empty when it has none or it cannot be written
    // (the job then runs, it just cannot be offered for resume). Never throws.
    std::string recordJob(const Job& job) const noexcept;
    // Removes the entry and its claim.
    void remove(const std::string& id) const;
    // Takes an interrupted entry for resuming, so two resumes of one entry cannot run at once (the app and
    // `waft-cli resume`, two windows): an exclusive lock on `<id>.claim`, held until remove(id) or until this
    // process ends, which frees it whatever the way (the kernel drops the lock). Refused with one line when
    // the entry is gone, its job still runs, or another resume holds the claim.
    Status claim(const std::string& id) const;
    // The job stopped without ending (shutdown cut it short): its entry stays for the next start, and from
    // now on counts as interrupted in this process too.
    void release(const std::string& id) const;
    // The entries on disk, oldest first (at most kMaxEntries); files that cannot be read are skipped with
    // one line each in `problems` and left alone.
    std::vector<JournalEntry> entries(std::vector<std::string>* problems = nullptr) const;

private:
    std::string m_dir;
};

}  // namespace waft::engine
