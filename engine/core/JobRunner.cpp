#include "core/JobRunner.h"

#include <algorithm>
#include <chrono>

namespace waft::engine {

JobRunner::JobRunner(Events events) : m_events(std::move(events)) {
    for (JobLane lane : {JobLane::Editor, JobLane::Compute}) m_lanes[lane];
    for (auto& [lane, state] : m_lanes) {
        state.thread = std::thread([this, l = lane] { laneLoop(l); });
        m_laneIds.push_back(state.thread.get_id());  // fixed before any job can be submitted
    }
}

JobRunner::~JobRunner() {
    shutdown();
    for (auto& [lane, state] : m_lanes)
        if (state.thread.joinable()) state.thread.detach();  // only a lane that destroyed its own runner
}

int JobRunner::submit(std::unique_ptr<Job> job, Completion onDone, std::string replacesJournalId) {
    const JobLane lane = job->lane();
    int id;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        id = m_nextId++;
    }
    // Reported before the job can start, so observers always see queued -> started -> finished in order.
    if (m_events.queued) m_events.queued(id, job->name(), lane);
    bool refused;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        refused = m_stopping;
        if (!refused) {
            auto token = std::make_shared<CancelToken>();
            m_tokens[id] = token;
            m_lanes[lane].queue.push_back({id, std::move(job), std::move(onDone), token, std::move(replacesJournalId)});
        }
    }
    if (refused) {
        if (m_events.finished) m_events.finished(id, Status::cancelled());
    } else {
        m_wake.notify_all();
    }
    return id;
}

void JobRunner::cancel(int id) {
    std::lock_guard<std::mutex> lock(m_mutex);
    const auto it = m_tokens.find(id);
    if (it != m_tokens.end()) it->second->cancel();
}

void JobRunner::cancelAll() {
    std::lock_guard<std::mutex> lock(m_mutex);
    for (auto& [id, token] : m_tokens) token->cancel();
}

void JobRunner::shutdown() {
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stopping = true;
        for (auto& [id, token] : m_tokens) token->cancel();
    }
    m_wake.notify_all();
    // A lane thread (shutting down from an event) only asks: it must not wait for a joiner that is waiting
    // for it. Other callers join, one at a time.
    const auto self = std::this_thread::get_id();
    if (std::find(m_laneIds.begin(), m_laneIds.end(), self) != m_laneIds.end()) return;
    std::lock_guard<std::mutex> joining(m_joinMutex);
    for (auto& [lane, state] : m_lanes)
        if (state.thread.joinable()) state.thread.join();
}

void JobRunner::setJournal(std::shared_ptr<const JobJournal> journal) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_journal = std::move(journal);
}

bool JobRunner::isBusy() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    for (const auto& [lane, state] : m_lanes)
        if (state.running || !state.queue.empty()) return true;
    return false;
}

void JobRunner::laneLoop(JobLane lane) {
    for (;;) {
        Pending pending;
        {
            std::unique_lock<std::mutex> lock(m_mutex);
            Lane& state = m_lanes[lane];
            m_wake.wait(lock, [&] { return m_stopping || !state.queue.empty(); });
            if (state.queue.empty()) return;  // stopping, nothing left to report
            pending = std::move(state.queue.front());
            state.queue.pop_front();
            state.running = true;
        }
        runOne(pending);  // a cancelled (or shut-down) job still reports "cancelled"
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_tokens.erase(pending.id);
            m_lanes[lane].running = false;
        }
    }
}

void JobRunner::runOne(Pending& pending) {
    const int id = pending.id;
    if (pending.cancel->isCancelled()) {
        if (!pending.replacesJournalId.empty()) {  // a resumed job cancelled by the user before it started
            std::lock_guard<std::mutex> lock(m_mutex);
            if (!m_stopping && m_journal) m_journal->remove(pending.replacesJournalId);
        }
        if (m_events.finished) m_events.finished(id, Status::cancelled());
        return;
    }
    if (m_events.started) m_events.started(id);
    std::shared_ptr<const JobJournal> journal;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        journal = m_journal;
    }
    const std::string journalId = journal ? journal->recordJob(*pending.job) : std::string();
    // A resumed job replaces its old entry once its own is written (until then the old one still offers it).
    if (journal && !pending.replacesJournalId.empty() && !journalId.empty()) journal->remove(pending.replacesJournalId);
    const auto start = std::chrono::steady_clock::now();
    int lastPermille = -1;
    Progress progress([&](float fraction, const std::string& stage) {
        const int permille = int(fraction * 1000.0f);
        if (permille == lastPermille || !m_events.progress) return;  // keep the observers' queues short
        lastPermille = permille;
        JobProgress p;
        p.fraction = fraction;
        p.stage = stage;
        p.elapsedSec = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (fraction >= 0.01f && p.elapsedSec >= 0.5) p.etaSec = p.elapsedSec * (1.0 - fraction) / fraction;
        m_events.progress(id, p);
    });
    struct Throttle {
        std::chrono::steady_clock::time_point last{};
        int step = -1;
        double value = 0.0;
        bool pending = false;
    };
    std::map<std::string, Throttle> throttles;
    const auto flushMetrics = [&] {  // the last value of each metric always reaches the observer
        for (auto& [name, t] : throttles) {
            if (!t.pending || !m_events.metric) continue;
            m_events.metric(id, name, t.step, t.value);
            t.pending = false;
        }
    };
    if (m_events.metric)
        progress.setMetricObserver([&](const std::string& name, int step, double value) {
            Throttle& t = throttles[name];
            t.step = step;
            t.value = value;
            t.pending = true;
            const auto now = std::chrono::steady_clock::now();
            if (now - t.last < std::chrono::milliseconds(50)) return;
            t.last = now;
            m_events.metric(id, name, step, value);
            t.pending = false;
        });
    Status status = runGuarded(*pending.job, progress, *pending.cancel);
    flushMetrics();
    if (status.isOk() && pending.onDone) {
        try {
            pending.onDone(*pending.job);
        } catch (const std::exception& e) {
            status = Status::error(StatusCode::Internal, pending.job->name() + " failed: " + oneLine(e.what()));
        }
    }
    pending.job.reset();  // free the job's memory (models, frames) before reporting
    if (!journalId.empty()) {
        bool cutShort;
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            cutShort = status.code() == StatusCode::Cancelled && m_stopping;
        }
        if (cutShort)
            journal->release(journalId);
        else
            journal->remove(journalId);
    }
    if (m_events.finished) m_events.finished(id, status);
}

}  // namespace waft::engine
