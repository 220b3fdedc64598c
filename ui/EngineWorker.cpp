#include "EngineWorker.h"

#include "core/JobJournal.h"
#include "core/JobRunner.h"
#include "ml/JobSpecs.h"

namespace waft::ui {

namespace {
// JobRunner::submit reports "queued" before it returns, on the submitting thread (the other events come from
// the lane threads): enqueueBackground marks the submissions it makes.
thread_local bool t_submittingBackground = false;
}  // namespace

EngineWorker::EngineWorker(QObject* parent) : QObject(parent) {
    engine::JobRunner::Events events;
    events.queued = [this](int id, const std::string& name, engine::JobLane) {
        const bool background = t_submittingBackground;
        t_submittingBackground = false;  // a slot that enqueues from jobQueued does not inherit the mark
        emit jobQueued(id, QString::fromStdString(name), background);
    };
    events.started = [this](int id) { emit jobStarted(id); };
    events.progress = [this](int id, const engine::JobProgress& p) {
        emit jobProgress(id, p.fraction, QString::fromStdString(p.stage), p.etaSec);
    };
    events.metric = [this](int id, const std::string& name, int step, double value) {
        emit jobMetric(id, QString::fromStdString(name), step, value);
    };
    events.finished = [this](int id, const engine::Status& status) {
        const QString message = status.isOk() ? QStringLiteral("done")
                                : status.code() == engine::StatusCode::Cancelled
                                    ? QStringLiteral("cancelled")
                                    : QString::fromStdString(status.message());
        emit jobFinished(id, status.isOk(), message);
    };
    m_runner = std::make_unique<engine::JobRunner>(std::move(events));
    m_journal = std::make_shared<engine::JobJournal>(engine::JobJournal::defaultDir());
    m_runner->setJournal(m_journal);
}

std::vector<engine::JournalEntry> EngineWorker::interruptedJobs() const {
    std::vector<engine::JournalEntry> out;
    for (auto& e : m_journal->entries())
        if (!e.ownerAlive) out.push_back(std::move(e));  // one still running elsewhere is not interrupted
    return out;
}

int EngineWorker::resumeInterrupted(const QString& journalId, QString* error) {
    for (const auto& e : interruptedJobs()) {
        if (QString::fromStdString(e.id) != journalId) continue;
        auto job = engine::jobFromSpec(e.spec);
        if (!job) {
            if (error) *error = QString::fromStdString(job.status().message());
            return -1;
        }
        if (const engine::Status claimed = m_journal->claim(e.id); !claimed) {  // not resumed twice at once
            if (error) *error = QString::fromStdString(claimed.message());
            return -1;
        }
        return enqueue(std::move(job).value(), {}, e.id);  // the old entry goes when the new one is written
    }
    if (error) *error = tr("that job is no longer in the journal");
    return -1;
}

void EngineWorker::discardInterrupted(const QString& journalId) { m_journal->remove(journalId.toStdString()); }

EngineWorker::~EngineWorker() { shutdown(); }

int EngineWorker::enqueue(std::unique_ptr<engine::Job> job, Completion onDone, std::string replacesJournalId) {
    return m_runner->submit(std::move(job), std::move(onDone), std::move(replacesJournalId));
}

int EngineWorker::enqueueBackground(std::unique_ptr<engine::Job> job, Completion onDone) {
    struct Marked {  // reset however submit() returns
        Marked() { t_submittingBackground = true; }
        ~Marked() { t_submittingBackground = false; }
    } marked;
    return m_runner->submit(std::move(job), std::move(onDone), {});
}

void EngineWorker::cancel(int id) { m_runner->cancel(id); }

bool EngineWorker::isBusy() const { return m_runner->isBusy(); }

void EngineWorker::shutdown() { m_runner->shutdown(); }

}  // namespace waft::ui
