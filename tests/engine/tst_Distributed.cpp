// Data-parallel training (ml/dist/): the environment a launcher sets, and Gloo runs over loopback. N ranks of
// batch B give the weights one process of batch N x B gives, for the VAE and the denoiser, EMA included: those
// runs are processes (this binary re-run as a worker), since ranks sharing a process share torch's default
// generator and would interleave their models' initial draws. Averaging, cancellation and a silent rank use
// ranks as threads. A rank killed mid-run and the exact resume after it are in tests/cli/cli_contract.sh.
#include "ml/dist/Communicator.h"
#include "ml/dist/DataParallel.h"
#include "ml/dist/DistributedEnv.h"
#include "ml/prior/ModelFile.h"
#include "ml/prior/TrainPriorJob.h"
#include "ml/prior/TrainVaeJob.h"
#include "ml/prior/TrainingData.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <map>
#include <thread>

#include "GTestSupport.h"
#include "TestSupport.h"
#include "core/Runtime.h"
#include "scene/Scene.h"

extern char** environ;

using namespace waft::engine;

namespace {

const auto* const kRuntime = ::testing::AddGlobalTestEnvironment(new waft::test::RuntimeEnvironment);

// A loopback port free now, and (optionally) the socket that keeps it taken.
int freePort(int* keepOpen = nullptr) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    socklen_t length = sizeof addr;
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length);
    if (keepOpen) {
        listen(fd, 1);
        *keepOpen = fd;
    } else {
        close(fd);
    }
    return ntohs(addr.sin_port);
}

dist::DistributedEnv rankEnv(int rank, int world, int port, int timeoutSeconds = 60) {
    dist::DistributedEnv env;
    env.enabled = true;
    env.rank = rank;
    env.worldSize = world;
    env.masterPort = port;
    env.timeoutSeconds = timeoutSeconds;
    return env;
}

// Runs body(rank, communicator) for every rank of one run, each on its own thread; the statuses by rank.
std::vector<Status> runRanks(int world, int timeoutSeconds,
                             const std::function<Status(int, std::shared_ptr<dist::Communicator>)>& body) {
    const int port = freePort();
    std::vector<Status> results(static_cast<size_t>(world));
    std::vector<std::thread> threads;
    for (int r = 0; r < world; ++r)
        threads.emplace_back([&, r] {
            auto communicator = dist::joinRun(rankEnv(r, world, port, timeoutSeconds), {prior::ComputeDevice::Cpu});
            results[size_t(r)] = communicator ? body(r, *communicator) : communicator.status();
        });
    for (std::thread& t : threads) t.join();
    return results;
}

bool distributedBuilt() {
    dist::DistributedEnv env = rankEnv(0, 1, freePort());
    auto c = dist::joinRun(env, {prior::ComputeDevice::Cpu});
    return c.hasValue() || c.status().code() != StatusCode::Unsupported;
}

// Six scenes of synthetic motion at the training size.
std::string writeDataset(const std::string& dir) {
    std::filesystem::create_directories(dir);
    for (int i = 0; i < 6; ++i) {
        Scene scene;
        scene.volume = waft::test::sinusoidalVolume(32, 32, 4, 0.5f + 0.1f * float(i), i % 4, 1.0f + float(i), i % 2);
        EXPECT_TRUE(saveScene(dir + "/s" + std::to_string(i) + ".waft", scene).isOk());
    }
    return dir;
}

prior::TrainingRunParams runParams(int batch) {
    prior::TrainingRunParams p;
    p.preset = prior::ModelPreset::Tiny;
    p.steps = 2;
    p.batch = batch;
    p.learningRate = 2e-3f;
    p.checkpointEvery = 0;
    p.width = p.height = 32;
    p.compute.device = prior::ComputeDevice::Cpu;
    return p;
}

// ||a - b|| / ||b|| over all parameters of two modules (one vector of every weight).
double relativeDifference(torch::nn::Module& a, torch::nn::Module& b) {
    double diff = 0.0, norm = 0.0;
    auto pb = b.named_parameters();
    for (const auto& p : a.named_parameters()) {
        const torch::Tensor& y = pb[p.key()];
        diff += (p.value().to(torch::kFloat64) - y.to(torch::kFloat64)).pow(2).sum().item<double>();
        norm += y.to(torch::kFloat64).pow(2).sum().item<double>();
    }
    return std::sqrt(diff / std::max(norm, 1e-30));
}

// The live (not averaged) weights a training state holds.
template <typename Model>
Model liveWeights(Model model, const std::string& modelPath) {
    torch::optim::AdamW optimizer(model->parameters());
    EXPECT_TRUE(prior::loadTrainingState(*model, optimizer, prior::trainingStatePath(modelPath)).hasValue());
    return model;
}

Progress quiet;
CancelToken never;

// Worker mode (WAFT_TEST_WORKER=vae|prior): one training process, joining a run when WORLD_SIZE is set, as
// waft-cli does. Exit status 0 on success, 1 with the message on stderr.
int runWorker(const std::string& kind) {
    initRuntime();
    const auto var = [](const char* name) { return std::string(std::getenv(name) ? std::getenv(name) : ""); };
    std::shared_ptr<dist::Communicator> communicator;
    auto env = dist::distributedEnvFromEnvironment();
    if (env && env->enabled) {
        auto joined = dist::joinRun(*env, {prior::ComputeDevice::Cpu});
        if (!joined) return std::fprintf(stderr, "%s\n", joined.status().message().c_str()), 1;
        communicator = *joined;
    }
    const prior::TrainingRunParams params = runParams(std::atoi(var("WAFT_TEST_BATCH").c_str()));
    Status status;
    if (kind == "vae") {
        prior::TrainVaeJob job(var("WAFT_TEST_DATASET"), var("WAFT_TEST_OUT"), params);
        job.joinRun(communicator);
        status = job.run(quiet, never);
    } else {
        prior::TrainPriorJob job(var("WAFT_TEST_DATASET"), var("WAFT_TEST_VAE"), var("WAFT_TEST_OUT"), 1, "", params);
        job.joinRun(communicator);
        status = job.run(quiet, never);
    }
    if (!status) std::fprintf(stderr, "%s\n", status.message().c_str());
    return status ? 0 : 1;
}

// Runs this binary as `world` worker processes of one run (world 0: one plain process); true when all succeed.
bool spawnWorkers(int world, const std::map<std::string, std::string>& vars) {
    const int port = freePort();
    std::vector<pid_t> pids;
    for (int r = 0; r < std::max(1, world); ++r) {
        std::vector<std::string> env;
        for (char** e = environ; *e; ++e) env.push_back(*e);
        for (const auto& [k, v] : vars) env.push_back(k + "=" + v);
        env.push_back("OMP_NUM_THREADS=1");
        if (world > 0)
            env.insert(env.end(), {"WORLD_SIZE=" + std::to_string(world), "RANK=" + std::to_string(r),
                                   "MASTER_ADDR=127.0.0.1", "MASTER_PORT=" + std::to_string(port)});
        std::vector<char*> envp;
        for (std::string& e : env) envp.push_back(e.data());
        envp.push_back(nullptr);
        char self[] = "/proc/self/exe";
        char* argv[] = {self, nullptr};
        pid_t pid = -1;
        if (posix_spawn(&pid, self, nullptr, nullptr, argv, envp.data()) != 0) return false;
        pids.push_back(pid);
    }
    bool ok = true;
    for (pid_t pid : pids) {
        int status = 0;
        ok = waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0 && ok;
    }
    return ok;
}

}  // namespace

int main(int argc, char** argv) {
    if (const char* worker = std::getenv("WAFT_TEST_WORKER")) return runWorker(worker);
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}

TEST(DistributedEnv, ReadsTheLaunchersVariables) {
    const auto read = [](std::map<std::string, std::string> vars) {
        return dist::readDistributedEnv([vars](const char* name) -> const char* {
            const auto it = vars.find(name);
            return it == vars.end() ? nullptr : it->second.c_str();
        });
    };
    auto none = read({});
    ASSERT_TRUE(none.hasValue());
    EXPECT_FALSE(none->enabled);
    auto env = read({{"WORLD_SIZE", "4"},
                     {"RANK", "3"},
                     {"LOCAL_RANK", "1"},
                     {"MASTER_ADDR", "node7"},
                     {"MASTER_PORT", "29400"},
                     {"WAFT_DIST_TIMEOUT", "12"}});
    ASSERT_TRUE(env.hasValue()) << env.status().message();
    EXPECT_TRUE(env->enabled);
    EXPECT_EQ(env->rank, 3);
    EXPECT_EQ(env->worldSize, 4);
    EXPECT_EQ(env->localRank, 1);
    EXPECT_EQ(env->masterAddr, "node7");
    EXPECT_EQ(env->masterPort, 29400);
    EXPECT_EQ(env->timeoutSeconds, 12);
    EXPECT_FALSE(env->isMain());
    auto single = read({{"WORLD_SIZE", "1"}, {"RANK", "0"}});  // torchrun --nproc 1: a group of one
    ASSERT_TRUE(single.hasValue());
    EXPECT_TRUE(single->enabled);
    EXPECT_EQ(single->timeoutSeconds, dist::kDefaultTimeoutSeconds);
    const std::map<std::string, std::string> good = {
        {"WORLD_SIZE", "2"}, {"RANK", "0"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", "29500"}};
    const std::vector<std::pair<std::string, std::string>> bad = {{"WORLD_SIZE", "two"},   {"WORLD_SIZE", "0"},
                                                                  {"WORLD_SIZE", "99999"}, {"RANK", "2"},
                                                                  {"RANK", "-1"},          {"RANK", "1x"},
                                                                  {"MASTER_PORT", "0"},    {"MASTER_PORT", "70000"},
                                                                  {"MASTER_ADDR", ""},     {"WAFT_DIST_TIMEOUT", "0"},
                                                                  {"LOCAL_RANK", "5"}};
    for (const auto& [name, value] : bad) {
        auto vars = good;
        vars[name] = value;
        auto e = read(vars);
        ASSERT_FALSE(e.hasValue()) << name << "=" << value;
        EXPECT_NE(e.status().message().find(name), std::string::npos) << e.status().message();
        EXPECT_EQ(e.status().message().find('\n'), std::string::npos);
    }
    for (const char* missing : {"RANK", "MASTER_ADDR", "MASTER_PORT"}) {
        auto vars = good;
        vars.erase(missing);
        auto e = read(vars);
        ASSERT_FALSE(e.hasValue()) << missing;
        EXPECT_NE(e.status().message().find(missing), std::string::npos) << e.status().message();
    }
}

// A resume's skip comes from the model file: recorded, derived, or hostile, it stays within what the run's own
// step x batch x the largest world could have drawn.
TEST(Distributed, SamplesDrawnFromAFileAreBounded) {
    using prior::samplesDrawn;
    EXPECT_EQ(samplesDrawn({}, 10, 4), 40);                           // before world sizes: one process
    EXPECT_EQ(samplesDrawn({{"world_size", "2"}}, 10, 4), 80);        // step x batch x world
    EXPECT_EQ(samplesDrawn({{"samples_drawn", "123"}}, 10, 4), 123);  // the recorded history wins
    EXPECT_EQ(samplesDrawn({{"samples_drawn", "99999999999999"}}, 10, 4), 10 * 4 * 4096);
    EXPECT_EQ(samplesDrawn({{"samples_drawn", "-5"}}, 10, 4), 0);
    EXPECT_EQ(samplesDrawn({{"samples_drawn", "nan"}, {"world_size", "1e9"}}, 10, 4), 40);
    EXPECT_EQ(samplesDrawn({{"world_size", "99999999999"}}, 10, 4), 40);  // out of range: the default
    EXPECT_EQ(samplesDrawn({{"world_size", "100000"}}, 10, 4), 10 * 4 * 4096);
}

TEST(Distributed, RendezvousFailuresAreOneLine) {
    if (!distributedBuilt()) GTEST_SKIP() << "built without Gloo";
    int taken = -1;
    const int port = freePort(&taken);
    auto inUse = dist::joinRun(rankEnv(0, 2, port, 5), {prior::ComputeDevice::Cpu});
    close(taken);
    ASSERT_FALSE(inUse.hasValue());
    EXPECT_NE(inUse.status().message().find("MASTER_PORT " + std::to_string(port) + " is in use"), std::string::npos)
        << inUse.status().message();
    dist::DistributedEnv badHost = rankEnv(1, 2, port, 5);
    badHost.masterAddr = "no-such-host.invalid";
    auto unresolved = dist::joinRun(badHost, {prior::ComputeDevice::Cpu});
    ASSERT_FALSE(unresolved.hasValue());
    EXPECT_NE(unresolved.status().message().find("does not resolve"), std::string::npos)
        << unresolved.status().message();
    auto alone = dist::joinRun(rankEnv(1, 2, freePort(), 2), {prior::ComputeDevice::Cpu});  // rank 0 never comes
    ASSERT_FALSE(alone.hasValue());
    EXPECT_NE(alone.status().message().find("rank 0 did not answer"), std::string::npos) << alone.status().message();
    for (const Status& s : {inUse.status(), unresolved.status(), alone.status()})
        EXPECT_EQ(s.message().find('\n'), std::string::npos);
}

// Gradients are averaged in buckets (a parameter without a gradient counts as zeros), the loss with them.
TEST(Distributed, AveragesGradientsAndLoss) {
    if (!distributedBuilt()) GTEST_SKIP() << "built without Gloo";
    const auto results = runRanks(2, 30, [](int rank, std::shared_ptr<dist::Communicator> c) {
        torch::Tensor a = torch::zeros({3}, torch::requires_grad()), b = torch::zeros({2, 2}, torch::requires_grad());
        torch::Tensor frozen = torch::full({2}, 7.0f);  // no gradient wanted: left alone
        a.mutable_grad() = torch::full({3}, float(rank + 1));
        if (rank == 0) b.mutable_grad() = torch::full({2, 2}, 4.0f);  // rank 1 has none: zeros
        torch::Tensor loss = torch::tensor(float(10 * rank));
        WAFT_RETURN_IF_ERROR(c->averageGradients({a, b, frozen}, &loss));
        if (!torch::allclose(a.grad(), torch::full({3}, 1.5f)) ||
            !torch::allclose(b.grad(), torch::full({2, 2}, 2.0f)) || frozen.grad().defined() ||
            std::abs(loss.item<float>() - 5.0f) > 1e-6f)
            return Status::invalid("wrong average on rank " + std::to_string(rank));
        return c->checkSame(42, "a constant");
    });
    for (const Status& s : results) EXPECT_TRUE(s.isOk()) << s.message();
}

// The acceptance check: 2 ranks x batch 2 for 2 steps equal 1 process x batch 4 (within 1e-6 relative, fp32:
// ||w2 - w1|| / ||w1|| over every weight; AdamW turns last-bit differences of near-zero gradients into whole
// steps of a few weights, so a per-tensor maximum would measure that, not the method),
// the EMA weights (the model file) and the live weights (the training state) alike, for the VAE and the
// denoiser; only rank 0 writes.
TEST(Distributed, TwoRanksOfBatchTwoEqualOneProcessOfFour) {
    if (!distributedBuilt()) GTEST_SKIP() << "built without Gloo";
    const std::string dir = waft::test::tempDir("distributed-equal");
    const std::string dataset = writeDataset(dir + "/ds");
    const auto train = [&](const std::string& kind, int world, int batch, const std::string& out) {
        return spawnWorkers(world, {{"WAFT_TEST_WORKER", kind},
                                    {"WAFT_TEST_DATASET", dataset},
                                    {"WAFT_TEST_OUT", dir + "/" + out},
                                    {"WAFT_TEST_VAE", dir + "/vae-1.safetensors"},
                                    {"WAFT_TEST_BATCH", std::to_string(batch)}});
    };
    ASSERT_TRUE(train("vae", 0, 4, "vae-1.safetensors"));
    ASSERT_TRUE(train("vae", 2, 2, "vae-2.safetensors"));
    auto one = prior::loadMotionVae(dir + "/vae-1.safetensors");
    auto two = prior::loadMotionVae(dir + "/vae-2.safetensors");
    ASSERT_TRUE(one.hasValue() && two.hasValue());
    const double emaDiff = relativeDifference(**two, **one);
    EXPECT_LT(emaDiff, 1e-6);
    const double liveDiff =
        relativeDifference(*liveWeights(prior::MotionVae((*one)->config), dir + "/vae-2.safetensors"),
                           *liveWeights(prior::MotionVae((*one)->config), dir + "/vae-1.safetensors"));
    EXPECT_LT(liveDiff, 1e-6);
    // Training moved the weights far more than the tolerance: the comparison can fail.
    prior::MotionVae fresh = dist::seededModel(0, [&] { return prior::MotionVae((*one)->config); });
    EXPECT_GT(relativeDifference(**one, *fresh), 1e-3);
    auto meta = prior::readModelMetadata(dir + "/vae-2.safetensors");
    ASSERT_TRUE(meta.hasValue());
    EXPECT_EQ(prior::metadataInt(*meta, "world_size", 0), 2);

    ASSERT_TRUE(train("prior", 0, 4, "p-1.safetensors"));
    ASSERT_TRUE(train("prior", 2, 2, "p-2.safetensors"));
    auto d1 = prior::loadDenoiser(dir + "/p-1.safetensors");
    auto d2 = prior::loadDenoiser(dir + "/p-2.safetensors");
    ASSERT_TRUE(d1.hasValue() && d2.hasValue());
    const double denoiserDiff = relativeDifference(**d2, **d1);
    EXPECT_LT(denoiserDiff, 1e-6);
    EXPECT_LT(relativeDifference(*liveWeights(prior::DenoiserUNet((*d1)->config), dir + "/p-2.safetensors"),
                                 *liveWeights(prior::DenoiserUNet((*d1)->config), dir + "/p-1.safetensors")),
              1e-6);
    std::printf("relative difference, 2x2 vs 1x4: VAE EMA %.2e, live %.2e; denoiser EMA %.2e\n", emaDiff, liveDiff,
                denoiserDiff);
}

// One rank cancelled: every rank stops at the same step, as cancelled; a rank that never arrives at a collective
// ends the others within the timeout with one line that names it.
TEST(Distributed, CancellationAndSilenceStopEveryRank) {
    if (!distributedBuilt()) GTEST_SKIP() << "built without Gloo";
    const std::string dir = waft::test::tempDir("distributed-stop");
    const std::string dataset = writeDataset(dir + "/ds");
    const auto cancelled = runRanks(2, 30, [&](int rank, std::shared_ptr<dist::Communicator> c) {
        CancelToken token;
        if (rank == 1) token.cancel();
        prior::TrainVaeJob job(dataset, dir + "/vae.safetensors", runParams(2));
        job.joinRun(c);
        return job.run(quiet, token);
    });
    for (const Status& s : cancelled) EXPECT_EQ(s.code(), StatusCode::Cancelled) << s.message();

    const auto silent = runRanks(2, 3, [&](int rank, std::shared_ptr<dist::Communicator> c) {
        if (rank == 1) {  // joins, then never takes part (a hung process), until rank 0 gave up
            std::this_thread::sleep_for(std::chrono::seconds(6));
            return Status::ok();
        }
        prior::TrainVaeJob job(dataset, dir + "/vae-silent.safetensors", runParams(2));
        job.joinRun(c);
        return job.run(quiet, never);
    });
    ASSERT_FALSE(silent[0].isOk());
    EXPECT_NE(silent[0].message().find("rank 1 stopped responding"), std::string::npos) << silent[0].message();
    EXPECT_EQ(silent[0].message().find('\n'), std::string::npos);
}
