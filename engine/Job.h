#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>

#include "Status.h"

namespace waft::engine {

// Cancellation flag shared between whoever runs a job and whoever may cancel it. Any thread may call
// cancel(); the job polls isCancelled() between steps and returns Status::cancelled().
class CancelToken {
public:
    void cancel() { m_cancelled.store(true, std::memory_order_relaxed); }
    bool isCancelled() const { return m_cancelled.load(std::memory_order_relaxed); }

private:
    std::atomic<bool> m_cancelled{false};
};

// Progress of one job in [0, 1] plus a short stage label. The job's thread calls report(); the observer
// callback runs on that thread (a Qt adapter turns it into a queued signal). Reports are monotone per stage.
class Progress {
public:
    using Observer = std::function<void(float fraction, const std::string& stage)>;

    Progress() = default;
    explicit Progress(Observer observer) : m_observer(std::move(observer)) {}

    void report(float fraction, const std::string& stage = {});
    float fraction() const { return m_fraction.load(std::memory_order_relaxed); }
    std::string stage() const;

    // A view that maps [0, 1] of a sub-step onto [begin, end] of this progress.
    class Range {
    public:
        Range(Progress& parent, float begin, float end) : m_parent(parent), m_begin(begin), m_end(end) {}
        void report(float fraction, const std::string& stage = {}) {
            m_parent.report(m_begin + (m_end - m_begin) * fraction, stage);
        }

    private:
        Progress& m_parent;
        float m_begin;
        float m_end;
    };

private:
    Observer m_observer;
    std::atomic<float> m_fraction{0.0f};
    mutable std::mutex m_stageMutex;
    std::string m_stage;
};

// Every long task (extract, export, predict, train, ...) is a Job. The core is Qt-free; the UI wraps it.
// run() is called once, on the engine thread; it must check the token between steps.
class Job {
public:
    virtual ~Job() = default;
    virtual std::string name() const = 0;
    virtual Status run(Progress& progress, const CancelToken& cancel) = 0;
};

}  // namespace waft::engine
