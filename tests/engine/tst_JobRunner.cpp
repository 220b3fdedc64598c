// JobRunner and runGuarded: plain GoogleTest, no Qt, so it runs on machines without Qt (the GPU machine).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <new>
#include <opencv2/core.hpp>
#include <stdexcept>
#include <thread>

#include "TestSupport.h"
#include "core/JobRunner.h"

using namespace waft::engine;
using Clock = std::chrono::steady_clock;

namespace {

// A job that runs `body`; lane and name as given.
class FnJob : public Job {
public:
    FnJob(std::string name, JobLane lane, std::function<Status(Progress&, const CancelToken&)> body)
        : m_name(std::move(name)), m_lane(lane), m_body(std::move(body)) {}
    std::string name() const override { return m_name; }
    JobLane lane() const override { return m_lane; }
    Status run(Progress& p, const CancelToken& c) override { return m_body(p, c); }

private:
    std::string m_name;
    JobLane m_lane;
    std::function<Status(Progress&, const CancelToken&)> m_body;
};

// A job with a resume spec (a stand-in for training) whose body is given.
class ResumableJob : public FnJob {
public:
    using FnJob::FnJob;
    std::optional<JobSpec> resumeSpec() const override { return JobSpec{"train-vae", "resumable", "{}"}; }
};

// Runs until cancelled (checking every 10 ms) or for at most maxSec.
Status untilCancelled(Progress& progress, const CancelToken& cancel, double maxSec = 30.0) {
    const auto start = Clock::now();
    while (!cancel.isCancelled()) {
        if (std::chrono::duration<double>(Clock::now() - start).count() > maxSec) return Status::ok();
        progress.report(0.5f, "waiting");
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return Status::cancelled();
}

// Collects the runner's events; wait() blocks until job id has finished.
struct Recorder {
    std::mutex mutex;
    std::condition_variable changed;
    std::map<int, Status> finished;
    std::map<int, std::vector<JobProgress>> progress;
    std::vector<int> started;

    JobRunner::Events events() {
        JobRunner::Events e;
        e.started = [this](int id) {
            std::lock_guard<std::mutex> lock(mutex);
            started.push_back(id);
        };
        e.progress = [this](int id, const JobProgress& p) {
            std::lock_guard<std::mutex> lock(mutex);
            progress[id].push_back(p);
        };
        e.finished = [this](int id, const Status& s) {
            std::lock_guard<std::mutex> lock(mutex);
            finished[id] = s;
            changed.notify_all();
        };
        return e;
    }
    bool wait(int id, double timeoutSec = 30.0) {
        std::unique_lock<std::mutex> lock(mutex);
        return changed.wait_for(lock, std::chrono::duration<double>(timeoutSec),
                                [&] { return finished.count(id) > 0; });
    }
    Status status(int id) {
        std::lock_guard<std::mutex> lock(mutex);
        return finished.at(id);
    }
    bool hasFinished(int id) {
        std::lock_guard<std::mutex> lock(mutex);
        return finished.count(id) > 0;
    }
};

}  // namespace

TEST(JobRunner, AThrowingJobFailsWithOneLineAndTheLaneCarriesOn) {
    Recorder rec;
    JobRunner runner(rec.events());
    const auto thrower = [](std::function<void()> f) {
        return [f](Progress&, const CancelToken&) -> Status {
            f();
            return Status::ok();
        };
    };
    const int a = runner.submit(std::make_unique<FnJob>(
        "predict motion", JobLane::Compute,
        thrower([] { throw std::runtime_error("CUDA out of memory.\nTried to allocate 20 GiB\n(backtrace...)"); })));
    const int b =
        runner.submit(std::make_unique<FnJob>("big", JobLane::Compute, thrower([] { throw std::bad_alloc(); })));
    const int c = runner.submit(std::make_unique<FnJob>(
        "opencv", JobLane::Editor, thrower([] {
            cv::Mat m(2, 2, CV_8UC1);
            (void)m.at<uint8_t>(0, 0);
            cv::Mat(3, 3, CV_8UC1).copyTo(m(cv::Rect(0, 0, 5, 5)));  // out-of-range ROI: cv::Exception
        })));
    bool ran = false;
    const int d = runner.submit(std::make_unique<FnJob>("after", JobLane::Compute, [&](Progress&, const CancelToken&) {
        ran = true;
        return Status::ok();
    }));
    for (int id : {a, b, c, d}) ASSERT_TRUE(rec.wait(id));
    EXPECT_EQ(rec.status(a).code(), StatusCode::Internal);
    EXPECT_EQ(rec.status(a).message(), "predict motion failed: CUDA out of memory.");
    EXPECT_EQ(rec.status(b).message(), "big failed: out of memory");
    EXPECT_EQ(rec.status(c).code(), StatusCode::Internal);
    EXPECT_EQ(rec.status(c).message().find('\n'), std::string::npos);
    EXPECT_NE(rec.status(c).message().find("opencv failed: "), std::string::npos);
    EXPECT_TRUE(ran);
    EXPECT_TRUE(rec.status(d).isOk());
}

TEST(JobRunner, EditorJobsRunBesideALongComputeJob) {
    Recorder rec;
    JobRunner runner(rec.events());
    const int compute = runner.submit(std::make_unique<FnJob>(
        "fine-tune", JobLane::Compute, [](Progress& p, const CancelToken& c) { return untilCancelled(p, c); }));
    // A second compute job waits: at most one heavy job at a time.
    std::atomic<bool> secondRan{false};
    const int second =
        runner.submit(std::make_unique<FnJob>("train", JobLane::Compute, [&](Progress&, const CancelToken&) {
            secondRan = true;
            return Status::ok();
        }));
    const int exportJob =
        runner.submit(std::make_unique<FnJob>("export loop", JobLane::Editor, [](Progress& p, const CancelToken&) {
            for (int i = 1; i <= 5; ++i) p.report(i / 5.0f, "rendering");
            return Status::ok();
        }));
    ASSERT_TRUE(rec.wait(exportJob, 10.0));
    EXPECT_TRUE(rec.status(exportJob).isOk());
    EXPECT_FALSE(rec.hasFinished(compute));  // the export finished while the compute job still runs
    EXPECT_FALSE(secondRan.load());
    EXPECT_TRUE(runner.isBusy());
    runner.cancel(compute);
    ASSERT_TRUE(rec.wait(compute, 5.0));
    EXPECT_EQ(rec.status(compute).code(), StatusCode::Cancelled);
    ASSERT_TRUE(rec.wait(second, 5.0));
    EXPECT_TRUE(secondRan.load());
}

TEST(JobRunner, ShutdownCancelsRunningJobsWithinASecondAndDropsQueuedOnes) {
    Recorder rec;
    auto runner = std::make_unique<JobRunner>(rec.events());
    std::atomic<bool> started{false};
    const int running =
        runner->submit(std::make_unique<FnJob>("long", JobLane::Compute, [&](Progress& p, const CancelToken& c) {
            started = true;
            return untilCancelled(p, c);
        }));
    std::atomic<bool> queuedRan{false};
    const int queued =
        runner->submit(std::make_unique<FnJob>("queued", JobLane::Compute, [&](Progress&, const CancelToken&) {
            queuedRan = true;
            return Status::ok();
        }));
    while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const auto t0 = Clock::now();
    runner->shutdown();
    const double sec = std::chrono::duration<double>(Clock::now() - t0).count();
    EXPECT_LT(sec, 1.0);
    EXPECT_EQ(rec.status(running).code(), StatusCode::Cancelled);
    EXPECT_EQ(rec.status(queued).code(), StatusCode::Cancelled);
    EXPECT_FALSE(queuedRan.load());
    const int late = runner->submit(
        std::make_unique<FnJob>("late", JobLane::Editor, [](Progress&, const CancelToken&) { return Status::ok(); }));
    EXPECT_EQ(rec.status(late).code(), StatusCode::Cancelled);  // reported at once, never run
    runner.reset();                                             // a second shutdown (the destructor's) is harmless
}

// Observers see queued -> started -> finished for every job, whichever thread submits.
TEST(JobRunner, EventsArriveInOrder) {
    std::mutex mutex;
    std::map<int, std::string> seen;
    JobRunner::Events e;
    e.queued = [&](int id, const std::string&, JobLane) {
        std::lock_guard<std::mutex> lock(mutex);
        seen[id] += "q";
    };
    e.started = [&](int id) {
        std::lock_guard<std::mutex> lock(mutex);
        seen[id] += "s";
    };
    e.finished = [&](int id, const Status&) {
        std::lock_guard<std::mutex> lock(mutex);
        seen[id] += "f";
    };
    {
        JobRunner runner(e);
        std::vector<std::thread> submitters;
        for (int t = 0; t < 4; ++t)
            submitters.emplace_back([&] {
                for (int i = 0; i < 25; ++i)
                    runner.submit(std::make_unique<FnJob>("quick", i % 2 ? JobLane::Editor : JobLane::Compute,
                                                          [](Progress&, const CancelToken&) { return Status::ok(); }));
            });
        for (auto& t : submitters) t.join();
        while (runner.isBusy()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_EQ(seen.size(), 100u);
    for (const auto& [id, events] : seen) EXPECT_EQ(events, "qsf") << "job " << id;
}

// shutdown() from two threads at once, and from a lane thread (an event), neither crashes nor hangs.
TEST(JobRunner, ShutdownIsSafeFromAnyThread) {
    Recorder rec;
    JobRunner::Events e = rec.events();
    JobRunner* self = nullptr;
    const auto finished = e.finished;
    e.finished = [&](int id, const Status& s) {
        finished(id, s);
        if (self) self->shutdown();  // from the lane thread
    };
    auto runner = std::make_unique<JobRunner>(e);
    self = runner.get();
    const int id = runner->submit(
        std::make_unique<FnJob>("one", JobLane::Editor, [](Progress&, const CancelToken&) { return Status::ok(); }));
    ASSERT_TRUE(rec.wait(id));
    std::thread a([&] { runner->shutdown(); });
    std::thread b([&] { runner->shutdown(); });
    a.join();
    b.join();
    self = nullptr;
    runner.reset();
    SUCCEED();
}

TEST(JobRunner, ProgressCarriesAnEta) {
    Recorder rec;
    JobRunner runner(rec.events());
    const int id =
        runner.submit(std::make_unique<FnJob>("steady", JobLane::Editor, [](Progress& p, const CancelToken&) {
            for (int i = 1; i <= 10; ++i) {
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
                p.report(i / 10.0f, "step");
            }
            return Status::ok();
        }));
    ASSERT_TRUE(rec.wait(id));
    std::lock_guard<std::mutex> lock(rec.mutex);
    const auto& reports = rec.progress[id];
    ASSERT_EQ(reports.size(), 10u);
    EXPECT_LT(reports[0].etaSec, 0.0);  // too early to say (under 0.5 s elapsed)
    // At 60% after ~0.6 s of a 1 s job, about 0.4 s remain; generous bounds (the machine may be busy).
    EXPECT_GT(reports[5].etaSec, 0.1);
    EXPECT_LT(reports[5].etaSec, 2.0);
    EXPECT_NEAR(reports[9].etaSec, 0.0, 1e-9);
    EXPECT_EQ(reports[9].stage, "step");
}

// A fast training loop's metrics are thinned to what an observer can show, and the last value always arrives.
TEST(JobRunner, MetricsAreThrottledAndTheLastArrives) {
    std::mutex mutex;
    std::vector<std::pair<int, double>> losses;
    Recorder rec;
    JobRunner::Events e = rec.events();
    e.metric = [&](int, const std::string& name, int step, double value) {
        std::lock_guard<std::mutex> lock(mutex);
        if (name == "loss") losses.emplace_back(step, value);
    };
    JobRunner runner(e);
    const int id =
        runner.submit(std::make_unique<FnJob>("train", JobLane::Compute, [](Progress& p, const CancelToken&) {
            for (int step = 1; step <= 5000; ++step) p.metric("loss", step, 1.0 / step);
            return Status::ok();
        }));
    ASSERT_TRUE(rec.wait(id));
    std::lock_guard<std::mutex> lock(mutex);
    ASSERT_FALSE(losses.empty());
    EXPECT_LT(losses.size(), 100u);  // 5000 reports in well under a second
    EXPECT_EQ(losses.back().first, 5000);
    EXPECT_DOUBLE_EQ(losses.back().second, 1.0 / 5000);
}

TEST(JobRunner, OneLineKeepsErrorsToOneShortLine) {
    EXPECT_EQ(oneLine("first\nsecond"), "first");
    EXPECT_EQ(oneLine("tab\there\x01"), "tab here ");
    EXPECT_EQ(oneLine(std::string(500, 'x'), 10), "xxxxxxxxxx...");
}

// A resumable job is journalled while it runs; its entry goes when it ends by itself (done or failed) or by
// cancel(), and stays, no longer owned, when shutdown() cuts it short: the next start offers it.
TEST(JobRunner, JournalKeepsOnlyJobsThatShutdownCutShort) {
    const std::string dir = waft::test::tempDir("journal-runner");
    auto journal = std::make_shared<JobJournal>(dir);
    Recorder rec;
    auto runner = std::make_unique<JobRunner>(rec.events());
    runner->setJournal(journal);
    std::atomic<int> seenWhileRunning{-1};
    const int done =
        runner->submit(std::make_unique<ResumableJob>("done", JobLane::Compute, [&](Progress&, const CancelToken&) {
            const auto entries = journal->entries();
            seenWhileRunning = int(entries.size());
            if (entries.size() == 1 && !entries[0].ownerAlive) seenWhileRunning = -2;  // must count as running
            return Status::ok();
        }));
    const int failed = runner->submit(std::make_unique<ResumableJob>(
        "fails", JobLane::Compute, [](Progress&, const CancelToken&) { return Status::invalid("bad dataset"); }));
    ASSERT_TRUE(rec.wait(done));
    ASSERT_TRUE(rec.wait(failed));
    EXPECT_EQ(seenWhileRunning.load(), 1);
    EXPECT_TRUE(journal->entries().empty());

    std::atomic<bool> started{false};
    const int cancelled = runner->submit(std::make_unique<ResumableJob>("cancelled by the user", JobLane::Compute,
                                                                        [&](Progress& p, const CancelToken& c) {
                                                                            started = true;
                                                                            return untilCancelled(p, c);
                                                                        }));
    while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    runner->cancel(cancelled);
    ASSERT_TRUE(rec.wait(cancelled));
    EXPECT_TRUE(journal->entries().empty());

    started = false;
    const int cut = runner->submit(
        std::make_unique<ResumableJob>("cut short", JobLane::Compute, [&](Progress& p, const CancelToken& c) {
            started = true;
            return untilCancelled(p, c);
        }));
    const int plain = runner->submit(std::make_unique<FnJob>(
        "not resumable", JobLane::Editor, [&](Progress& p, const CancelToken& c) { return untilCancelled(p, c); }));
    while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    runner->shutdown();
    ASSERT_TRUE(rec.wait(cut));
    ASSERT_TRUE(rec.wait(plain));
    const auto left = journal->entries();
    ASSERT_EQ(left.size(), size_t(1));
    EXPECT_EQ(left[0].spec.title, "resumable");
    EXPECT_FALSE(left[0].ownerAlive);  // same process, but its job no longer runs
    std::filesystem::remove_all(dir);
}
