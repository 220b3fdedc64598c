#include "EngineWorker.h"

#include "core/JobRunner.h"

namespace waft::ui {

EngineWorker::EngineWorker(QObject* parent) : QObject(parent) {
    engine::JobRunner::Events events;
    events.queued = [this](int id, const std::string& name, engine::JobLane) {
        emit jobQueued(id, QString::fromStdString(name));
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
}

EngineWorker::~EngineWorker() { shutdown(); }

int EngineWorker::enqueue(std::unique_ptr<engine::Job> job, Completion onDone) {
    return m_runner->submit(std::move(job), std::move(onDone));
}

void EngineWorker::cancel(int id) { m_runner->cancel(id); }

bool EngineWorker::isBusy() const { return m_runner->isBusy(); }

void EngineWorker::shutdown() { m_runner->shutdown(); }

}  // namespace waft::ui
