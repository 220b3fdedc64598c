#pragma once

#include <QObject>
#include <QString>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "Job.h"

namespace waft::ui {

// The one engine thread. Every long task (open, extract, predict, brush, save, export, later the video
// jobs) is an engine::Job queued here and run one at a time on this object's thread; the UI thread only
// enqueues and listens. enqueue() and cancel() may be called from any thread; signals arrive queued.
// onDone runs on the engine thread after a successful run (to hand a result back through a signal); a failing
// or cancelled job only reports its one-line message: nothing the UI holds is touched.
class EngineWorker : public QObject {
    Q_OBJECT
public:
    using Completion = std::function<void(engine::Job&)>;

    explicit EngineWorker(QObject* parent = nullptr);

    int enqueue(std::unique_ptr<engine::Job> job, Completion onDone = {});
    void cancel(int id);
    bool isBusy() const;

signals:
    void jobQueued(int id, const QString& name);
    void jobStarted(int id);
    void jobProgress(int id, float fraction, const QString& stage);
    void jobFinished(int id, bool ok, const QString& message);  // message: "done", "cancelled" or the error

private:
    void runNext();

    struct Pending {
        int id;
        std::unique_ptr<engine::Job> job;
        Completion onDone;
        std::shared_ptr<engine::CancelToken> cancel;
    };
    mutable std::mutex m_mutex;
    std::deque<Pending> m_queue;
    std::map<int, std::shared_ptr<engine::CancelToken>> m_tokens;  // queued and running jobs
    int m_nextId = 1;
    bool m_running = false;
};

}  // namespace waft::ui
