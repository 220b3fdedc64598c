#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "core/Status.h"

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

    // A job's metrics (training losses, ...): a named value at a step, for the Jobs panel's curves and the
    // CLI's progress line. The observer runs on the job's thread.
    using MetricObserver = std::function<void(const std::string& name, int step, double value)>;
    void setMetricObserver(MetricObserver observer) { m_metricObserver = std::move(observer); }
    void metric(const std::string& name, int step, double value) const {
        if (m_metricObserver) m_metricObserver(name, step, value);
    }

    // A view that maps [0, 1] of a sub-step onto [begin, end] of this progress.
    class Range {
    public:
        Range(Progress& parent, float begin, float end) : m_parent(parent), m_begin(begin), m_end(end) {}
        void report(float fraction, const std::string& stage = {}) {
            m_parent.report(m_begin + (m_end - m_begin) * fraction, stage);
        }
        void metric(const std::string& name, int step, double value) const { m_parent.metric(name, step, value); }

    private:
        Progress& m_parent;
        float m_begin;
        float m_end;
    };

private:
    Observer m_observer;
    MetricObserver m_metricObserver;
    std::atomic<float> m_fraction{0.0f};
    mutable std::mutex m_stageMutex;
    std::string m_stage;
};

// Where a job runs (JobRunner). Editor jobs are short and keep the editor responsive (open, save, export,
// motion brush); compute jobs run models, flow solvers and training, one at a time, beside the editor lane.
enum class JobLane { Editor, Compute };

// What it takes to start a job again after the process that ran it died or closed: a kind the job factory
// knows (ml/JobSpecs.h), a title for people, and the job's parameters as one JSON object. Written by the
// job runner's journal (core/JobJournal.h) while the job runs.
struct JobSpec {
    std::string kind;        // "train-vae", "train-prior", ...
    std::string title;       // "train motion VAE → vae.safetensors"
    std::string paramsJson;  // a JSON object; read back through JsonFields (untrusted)
};

// Every long task (extract, export, predict, train, ...) is a Job. The core is Qt-free; the UI wraps it.
// run() is called once, on one of JobRunner's lane threads (or the CLI's thread); it must check the token
// between steps. Run it through runGuarded() so that an exception becomes a failed Status.
class Job {
public:
    virtual ~Job() = default;
    virtual std::string name() const = 0;
    virtual Status run(Progress& progress, const CancelToken& cancel) = 0;
    virtual JobLane lane() const { return JobLane::Editor; }
    // A job that checkpoints (training, fine-tuning) returns the spec that continues it from its last
    // checkpoint; the runner journals it while the job runs. Empty: the job is simply run again.
    virtual std::optional<JobSpec> resumeSpec() const { return std::nullopt; }
    // After run(): one line on what it did, for logs and the CLI ("steps 35 to 60, last loss 0.0123").
    virtual std::string summary() const { return {}; }
};

// Runs the job and turns anything it throws (LibTorch's c10::Error, cv::Exception, std::bad_alloc, ...) into
// a failed Status with one line: "<job name> failed: <first line of the error>". Any thread.
Status runGuarded(Job& job, Progress& progress, const CancelToken& cancel);

// The first line of an error text, control characters replaced, at most maxChars (an error is one line).
std::string oneLine(const std::string& text, size_t maxChars = 200);

}  // namespace waft::engine
