#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/Job.h"
#include "core/JobJournal.h"

namespace waft::engine {

// Progress of a running job as JobRunner reports it: the job's own fraction and stage plus timing.
struct JobProgress {
    float fraction = 0.0f;
    std::string stage;
    double elapsedSec = 0.0;
    double etaSec = -1.0;  // remaining time extrapolated from the progress so far; < 0 while unknown
};

// Runs jobs on two lanes, one thread each (JobLane): editor jobs (open, save, export, brush) never wait
// behind a compute job (extract, predict, training), and at most one compute job runs at a time. Each lane
// runs its jobs in submission order. Every run is guarded (runGuarded): a job that throws fails with one
// line and the runner carries on. The events are called on the lane thread that runs the job (a Qt adapter
// turns them into queued signals); onDone runs there too, after a successful run, before `finished`.
// submit(), cancel() and shutdown() may be called from any thread. Destruction shuts down: queued jobs are
// cancelled without running, running ones are asked to cancel, and the threads are joined.
class JobRunner {
public:
    struct Events {
        std::function<void(int id, const std::string& name, JobLane lane)> queued;
        std::function<void(int id)> started;
        std::function<void(int id, const JobProgress& progress)> progress;
        // A job's metric (Progress::metric); at most 20 a second per job and name, the latest always kept
        // for the next report, so a fast training loop cannot flood the observer.
        std::function<void(int id, const std::string& name, int step, double value)> metric;
        std::function<void(int id, const Status& status)> finished;
    };
    using Completion = std::function<void(Job&)>;

    explicit JobRunner(Events events);
    ~JobRunner();
    JobRunner(const JobRunner&) = delete;
    JobRunner& operator=(const JobRunner&) = delete;

    // Returns the job's id (> 0). `queued` is reported before the job can start. After shutdown() the job is
    // reported finished with "cancelled" at once.
    // replacesJournalId: the journal entry this job resumes; it is removed when the job's own entry is written
    // or the user cancels the job, and stays when a shutdown drops it first.
    int submit(std::unique_ptr<Job> job, Completion onDone = {}, std::string replacesJournalId = {});
    void cancel(int id);
    void cancelAll();
    void shutdown();
    bool isBusy() const;
    // Journals every job with a resumeSpec() while it runs (JobJournal): its entry is removed when the job
    // ends on its own or is cancelled by cancel()/cancelAll(), and kept when shutdown() cut it short or the
    // process died, so the next start can offer to resume it. Set before submitting.
    void setJournal(std::shared_ptr<const JobJournal> journal);

private:
    struct Pending {
        int id = 0;
        std::unique_ptr<Job> job;
        Completion onDone;
        std::shared_ptr<CancelToken> cancel;
        std::string replacesJournalId;
    };
    struct Lane {
        std::deque<Pending> queue;
        bool running = false;
        std::thread thread;
    };
    void laneLoop(JobLane lane);
    void runOne(Pending& pending);

    Events m_events;
    mutable std::mutex m_mutex;
    std::mutex m_joinMutex;
    std::condition_variable m_wake;
    std::map<JobLane, Lane> m_lanes;
    std::vector<std::thread::id> m_laneIds;
    std::map<int, std::shared_ptr<CancelToken>> m_tokens;  // queued and running jobs
    int m_nextId = 1;
    bool m_stopping = false;
    std::shared_ptr<const JobJournal> m_journal;
};

}  // namespace waft::engine
