#pragma once

#include <QObject>
#include <QString>
#include <functional>
#include <memory>
#include <vector>

#include "core/Job.h"
#include "core/JobJournal.h"

namespace waft::engine {
class JobRunner;
}  // namespace waft::engine

namespace waft::ui {

// The Qt face of the engine's JobRunner. Every long task (open, extract, predict, brush, save, export, later
// the video jobs) is an engine::Job; editor jobs and compute jobs run on their own engine lanes (so an export
// never waits behind a model), one at a time per lane. The UI thread only enqueues and listens: the signals
// are emitted on the lane threads and reach UI-thread receivers queued. enqueue() and cancel() may be called
// from any thread. onDone runs on the lane thread after a successful run (to hand a result back through a
// signal); a failing, throwing or cancelled job only reports its one-line message: nothing the UI holds is
// touched. shutdown() (and the destructor) cancels everything and waits for the lanes.
class EngineWorker : public QObject {
    Q_OBJECT
public:
    using Completion = std::function<void(engine::Job&)>;

    explicit EngineWorker(QObject* parent = nullptr);
    ~EngineWorker() override;

    int enqueue(std::unique_ptr<engine::Job> job, Completion onDone = {}, std::string replacesJournalId = {});
    // A job the user did not start (autosave): queued like any other, but its row in the Jobs panel goes away
    // when it succeeds (a failure stays, with its line).
    int enqueueBackground(std::unique_ptr<engine::Job> job, Completion onDone = {});
    void cancel(int id);
    bool isBusy() const;
    void shutdown();

    // Resumable jobs (training) are journalled while they run (engine::JobJournal, by default in
    // ~/.local/state/waft/jobs): one cut short by a crash, kill -9 or closing the app is listed by
    // interruptedJobs() at the next start. resumeInterrupted() rebuilds and queues it (its journal entry is
    // replaced by the resumed run's) and returns the job id, or -1 and the one line why in *error.
    std::vector<engine::JournalEntry> interruptedJobs() const;
    int resumeInterrupted(const QString& journalId, QString* error = nullptr);
    void discardInterrupted(const QString& journalId);

signals:
    void jobQueued(int id, const QString& name, bool background);
    void jobStarted(int id);
    // etaSec < 0 while unknown.
    void jobProgress(int id, float fraction, const QString& stage, double etaSec);
    void jobFinished(int id, bool ok, const QString& message);            // message: "done", "cancelled" or the error
    void jobMetric(int id, const QString& name, int step, double value);  // training losses, ...

private:
    std::unique_ptr<engine::JobRunner> m_runner;
    std::shared_ptr<const engine::JobJournal> m_journal;
};

}  // namespace waft::ui
