// JobJournal: resumable job specs on disk, read as untrusted files. GoogleTest, no Qt.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "TestSupport.h"
#include "core/JobJournal.h"
#include "ml/JobSpecs.h"

using namespace waft::engine;
namespace fs = std::filesystem;

namespace {

class JobJournalTest : public ::testing::Test {
protected:
    void SetUp() override { m_dir = waft::test::tempDir("journal"); }
    void TearDown() override { fs::remove_all(m_dir); }
    void write(const std::string& name, const std::string& text) {
        std::ofstream out(fs::path(m_dir) / name, std::ios::binary);
        out << text;
    }
    std::string m_dir;
};

const JobSpec kSpec{"train-vae", "train motion VAE → vae.safetensors",
                    R"({"dataset":"/data/ds","out":"/models/vae.safetensors","run":{"preset":"tiny","steps":60}})"};

}  // namespace

TEST_F(JobJournalTest, RecordsListsAndRemoves) {
    JobJournal journal(m_dir + "/nested/jobs");  // created on first use
    EXPECT_TRUE(journal.entries().empty());
    auto id = journal.record(kSpec);
    ASSERT_TRUE(id.hasValue()) << id.status().message();
    auto entries = journal.entries();
    ASSERT_EQ(entries.size(), size_t(1));
    EXPECT_EQ(entries[0].id, *id);
    EXPECT_EQ(entries[0].spec.kind, kSpec.kind);
    EXPECT_EQ(entries[0].spec.title, kSpec.title);
    EXPECT_EQ(entries[0].spec.paramsJson, kSpec.paramsJson);
    EXPECT_TRUE(entries[0].ownerAlive);  // recorded by this process and not released
    EXPECT_GT(entries[0].startedUnixSec, 1700000000);
    journal.release(*id);
    EXPECT_FALSE(journal.entries()[0].ownerAlive);
    journal.remove(*id);
    EXPECT_TRUE(journal.entries().empty());
    for (const auto& f : fs::directory_iterator(m_dir + "/nested/jobs"))
        ADD_FAILURE() << "left behind: " << f.path();  // no temporary file either
}

// Another process's entry: alive only while that exact process (pid and start time) runs.
TEST_F(JobJournalTest, AnEntryOfADeadProcessIsInterrupted) {
    write("1-1-0.json",
          R"({"format":"waft-job","version":1,"kind":"train-vae","title":"t","params":"{}","started":5,"pid":1,)"
          R"("pid_start":123456789})");  // pid 1 runs, but did not start at that tick
    const auto entries = JobJournal(m_dir).entries();
    ASSERT_EQ(entries.size(), size_t(1));
    EXPECT_FALSE(entries[0].ownerAlive);
    EXPECT_EQ(entries[0].startedUnixSec, 5);
}

// The start time of a running process, as /proc/PID/stat field 22 gives it (what the journal records).
unsigned long long startTicks(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), {});
    std::istringstream fields(stat.substr(stat.rfind(')') + 1));
    std::string field;
    for (int i = 3; i <= 22 && fields >> field; ++i)
        if (i == 22) return std::stoull(field);
    return 0;
}

// A live process that wrote an entry owns it (its job runs elsewhere: never offered); the same pid with
// another start time is a reused pid; a process that exited (even unreaped) does not.
TEST_F(JobJournalTest, AnEntryOfARunningProcessIsOwned) {
    const pid_t child = ::fork();
    if (child == 0) {
        ::execlp("sleep", "sleep", "30", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ASSERT_GT(child, 0);
    const unsigned long long ticks = startTicks(child);
    ASSERT_GT(ticks, 0u);
    const auto entry = [&](unsigned long long t) {
        return R"({"format":"waft-job","version":1,"kind":"train-vae","title":"t","params":"{}","started":5,)"
               R"("pid":)" +
               std::to_string(child) + R"(,"pid_start":)" + std::to_string(t) + "}";
    };
    write("1-1-0.json", entry(ticks));
    write("1-1-1.json", entry(ticks + 1));
    auto entries = JobJournal(m_dir).entries();
    ASSERT_EQ(entries.size(), size_t(2));
    EXPECT_TRUE(entries[0].ownerAlive);
    EXPECT_FALSE(entries[1].ownerAlive);
    ::kill(child, SIGKILL);
    for (int i = 0; i < 200 && JobJournal(m_dir).entries()[0].ownerAlive; ++i) ::usleep(10000);
    EXPECT_FALSE(JobJournal(m_dir).entries()[0].ownerAlive);  // killed: a zombie until reaped, not running
    ::waitpid(child, nullptr, 0);
    EXPECT_FALSE(JobJournal(m_dir).entries()[0].ownerAlive);
}

// One resume at a time per entry: a claim held by another process (a forked child here, like the app beside
// `waft-cli resume`) refuses a second one and marks the entry as running; the child's death frees it, whatever
// the way, and removing the entry takes its claim along.
TEST_F(JobJournalTest, AClaimExcludesASecondResumeUntilItsProcessEnds) {
    const JobJournal journal(m_dir);
    write("1-1-0.json", R"({"format":"waft-job","version":1,"kind":"train-vae","title":"t","params":"{}"})");
    int toChild[2], toParent[2];
    ASSERT_EQ(::pipe(toChild), 0);
    ASSERT_EQ(::pipe(toParent), 0);
    const pid_t child = ::fork();
    if (child == 0) {
        const char ok = JobJournal(m_dir).claim("1-1-0") ? 'y' : 'n';
        (void)!::write(toParent[1], &ok, 1);
        char wait;
        (void)!::read(toChild[0], &wait, 1);  // hold the claim until told, then die without releasing it
        ::_exit(0);
    }
    ASSERT_GT(child, 0);
    char claimed = 0;
    ASSERT_EQ(::read(toParent[0], &claimed, 1), 1);
    ASSERT_EQ(claimed, 'y');
    const Status second = journal.claim("1-1-0");
    EXPECT_FALSE(second.isOk());
    EXPECT_NE(second.message().find("another Waft process"), std::string::npos) << second.message();
    EXPECT_TRUE(journal.entries()[0].ownerAlive);  // not offered as interrupted while it is being resumed

    (void)!::write(toChild[1], "x", 1);
    ::waitpid(child, nullptr, 0);
    EXPECT_FALSE(journal.entries()[0].ownerAlive);  // the claimer died: interrupted again
    ASSERT_TRUE(journal.claim("1-1-0").isOk()) << "a dead process's claim is free";
    EXPECT_FALSE(journal.claim("1-1-0").isOk());  // nor twice in one process
    EXPECT_TRUE(journal.entries()[0].ownerAlive);
    journal.remove("1-1-0");
    EXPECT_TRUE(journal.entries().empty());
    EXPECT_FALSE(fs::exists(fs::path(m_dir) / "1-1-0.claim"));
    EXPECT_NE(journal.claim("1-1-0").message().find("no longer in the journal"), std::string::npos);
    for (int fd : {toChild[0], toChild[1], toParent[0], toParent[1]}) ::close(fd);
}

// Hostile or foreign files are skipped with one line each and left alone; the good entry is still listed.
TEST_F(JobJournalTest, HostileFilesAreSkippedWithOneLineEach) {
    JobJournal journal(m_dir);
    ASSERT_TRUE(journal.record(kSpec).hasValue());
    write("1-1-1.json", std::string(100000, '['));                                    // too large
    write("1-1-2.json", "[[[[[[[[[[1]]]]]]]]]]");                                     // too deep
    write("1-1-3.json", "{\"format\":\"waft-job\",\"version\":1");                    // cut short
    write("1-1-4.json", R"({"format":"other","version":1,"kind":"x"})");              // not ours
    write("1-1-5.json", R"({"format":"waft-job","version":2,"kind":"train-vae"})");   // a later version
    write("1-1-6.json", R"({"format":"waft-job","version":1,"kind":7})");             // wrong type
    write("1-1-7.json", R"({"format":"waft-job","version":1,"kind":"a","pid":-4})");  // out of range
    write("not an id!.json", "{}");                                                   // ignored: not a journal name
    std::vector<std::string> problems;
    const auto entries = journal.entries(&problems);
    ASSERT_EQ(entries.size(), size_t(1));
    EXPECT_EQ(entries[0].spec.kind, "train-vae");
    EXPECT_EQ(problems.size(), size_t(7));
    for (const std::string& p : problems) {
        EXPECT_EQ(p.find('\n'), std::string::npos);
        EXPECT_LT(p.size(), 200u) << p;
    }
    EXPECT_TRUE(fs::exists(fs::path(m_dir) / "1-1-1.json"));
    journal.remove("../escape");  // ids are names, never paths
}

TEST_F(JobJournalTest, SpecsRebuildTheirJobsAndRefuseBadFields) {
    auto job = jobFromSpec(kSpec);
    ASSERT_TRUE(job.hasValue()) << job.status().message();
    EXPECT_EQ((*job)->name(), "train motion VAE");
    const auto again = (*job)->resumeSpec();  // a resumed job resumes the same run
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->kind, "train-vae");
    EXPECT_NE(again->paramsJson.find("\"steps\":60"), std::string::npos) << again->paramsJson;
    EXPECT_NE(again->paramsJson.find("\"out\":\"/models/vae.safetensors\""), std::string::npos);

    const JobSpec prior{"train-prior", "p",
                        R"({"dataset":"/d","vae":"/v","out":"/o","stage":2,"init":"/i","run":{"batch":3}})"};
    ASSERT_TRUE(jobFromSpec(prior).hasValue());

    const std::vector<std::pair<JobSpec, std::string>> bad = {
        {{"format-disk", "x", "{}"}, "unknown job kind"},
        {{"train-vae", "x", R"({"dataset":"/d"})"}, "names no dataset or output"},
        {{"train-vae", "x", R"({"dataset":"/d","out":"/o","run":{"batch":0}})"}, "'run.batch'"},
        {{"train-vae", "x", R"({"dataset":"/d","out":"/o","run":{"steps":"many"}})"}, "'run.steps'"},
        {{"train-vae", "x", R"({"dataset":"/d","out":"/o","run":{"preset":"huge"}})"}, "'run.preset'"},
        {{"train-vae", "x", R"({"dataset":"/d","out":"/o","run":{"learning_rate":1e300}})"}, "'run.learning_rate'"},
        {{"train-vae", "x", R"({"dataset":"/d","out":"/o","run":7})"}, "'run'"},
        {{"train-prior", "x", R"({"dataset":"/d","vae":"/v","out":"/o","stage":3})"}, "'stage'"},
        {{"train-vae", "x", "not json"}, "not valid JSON"},
        {{"train-vae", "x", std::string(70000, ' ') + "{}"}, "at most"},
    };
    for (const auto& [spec, expected] : bad) {
        const auto rebuilt = jobFromSpec(spec);
        ASSERT_FALSE(rebuilt.hasValue()) << spec.paramsJson.substr(0, 80);
        EXPECT_NE(rebuilt.status().message().find(expected), std::string::npos) << rebuilt.status().message();
    }
}
