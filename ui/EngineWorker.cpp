#include "EngineWorker.h"

#include <QMetaObject>

namespace waft::ui {

EngineWorker::EngineWorker(QObject* parent) : QObject(parent) {}

int EngineWorker::enqueue(std::unique_ptr<engine::Job> job, Completion onDone) {
    const QString name = QString::fromStdString(job->name());
    int id;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        id = m_nextId++;
        auto token = std::make_shared<engine::CancelToken>();
        m_tokens[id] = token;
        m_queue.push_back({id, std::move(job), std::move(onDone), token});
    }
    emit jobQueued(id, name);
    QMetaObject::invokeMethod(this, &EngineWorker::runNext, Qt::QueuedConnection);
    return id;
}

void EngineWorker::cancel(int id) {
    std::lock_guard<std::mutex> lock(m_mutex);
    const auto it = m_tokens.find(id);
    if (it != m_tokens.end()) it->second->cancel();
}

bool EngineWorker::isBusy() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_running || !m_queue.empty();
}

void EngineWorker::runNext() {
    Pending pending;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (m_running || m_queue.empty()) return;
        pending = std::move(m_queue.front());
        m_queue.pop_front();
        m_running = true;
    }
    emit jobStarted(pending.id);
    const int id = pending.id;
    int lastPermille = -1;
    engine::Progress progress([this, id, &lastPermille](float fraction, const std::string& stage) {
        const int permille = int(fraction * 1000.0f);
        if (permille == lastPermille) return;  // keep the UI's queue short
        lastPermille = permille;
        emit jobProgress(id, fraction, QString::fromStdString(stage));
    });
    engine::Status status = pending.cancel->isCancelled() ? engine::Status::cancelled()
                                                          : pending.job->run(progress, *pending.cancel);
    if (status.isOk() && pending.onDone) pending.onDone(*pending.job);
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_tokens.erase(id);
        m_running = false;
    }
    const QString message = status.isOk() ? QStringLiteral("done")
                            : status.code() == engine::StatusCode::Cancelled ? QStringLiteral("cancelled")
                                                                              : QString::fromStdString(status.message());
    emit jobFinished(id, status.isOk(), message);
    QMetaObject::invokeMethod(this, &EngineWorker::runNext, Qt::QueuedConnection);
}

}  // namespace waft::ui
