// Distributed training from the command line: joining a run a launcher started (torchrun, srun, launch), and
// `launch` itself, a single-machine spawner for users without Python.
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "CliArgs.h"
#include "Commands.h"
#include "ml/dist/DistributedEnv.h"

extern char** environ;

namespace waft::app {

namespace dist = engine::dist;

engine::Expected<TrainingProcess> joinTrainingRun(const engine::prior::ComputeOptions& compute) {
    auto env = dist::distributedEnvFromEnvironment();
    if (!env) return env.status();
    if (!env->enabled) return TrainingProcess{};
    const std::string label = "rank " + std::to_string(env->rank);
    // One GPU per rank on a machine: the LOCAL_RANK-th, unless the launcher already chose (torchrun users often
    // set CUDA_VISIBLE_DEVICES themselves). Before anything initialises CUDA; a rank beyond the machine's GPUs
    // then sees none (auto falls back to the CPU, --device cuda says so in one line).
    if (env->worldSize > 1 && !std::getenv("CUDA_VISIBLE_DEVICES"))
        setenv("CUDA_VISIBLE_DEVICES", std::to_string(env->localRank).c_str(), 1);
    auto communicator = dist::joinRun(*env, compute);
    if (!communicator) return communicator.status().withContext(label);
    return TrainingProcess{*communicator, !env->isMain(), label};
}

namespace {

// The ranks' pids for the signal handler, which forwards Ctrl-C and SIGTERM to every rank (async-signal-safe:
// kill and a fixed array).
constexpr int kMaxLocalRanks = 256;
pid_t g_ranks[kMaxLocalRanks];
volatile std::sig_atomic_t g_rankCount = 0;
void forwardSignal(int signal) {
    for (int i = 0; i < g_rankCount; ++i)
        if (g_ranks[i] > 0) kill(g_ranks[i], signal);
}

// A port the kernel calls free now (a later bind can still lose a race; rank 0 then says the port is in use).
int freePort() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 29500;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof addr;
    int port = 29500;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) == 0)
        port = ntohs(addr.sin_port);
    close(fd);
    return port;
}

}  // namespace

int runLaunch(const std::vector<std::string>& args) {
    constexpr const char* kUsage =
        "waft-cli launch --nproc N [--master-port P] [--timeout S] -- train-vae|train-prior|train-renderer ARGS...\n"
        "  runs the training command as N ranks of one data-parallel run on this machine, as torchrun --standalone\n"
        "  does: each rank gets RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR=127.0.0.1, MASTER_PORT (a free port unless\n"
        "  given) and OMP_NUM_THREADS (cores / N unless set). --batch is per rank. Rank 0 reports and writes the\n"
        "  files. A rank that fails or stops responding ends the others within --timeout seconds (default 300,\n"
        "  WAFT_DIST_TIMEOUT); launch exits with the failing rank's status. Several machines: run the command under\n"
        "  torchrun or srun, which set the same variables (docs/DISTRIBUTED.md).";
    const auto split = std::find(args.begin(), args.end(), "--");
    CliArgs cli({"--nproc", "--master-port", "--timeout"}, {});
    if (auto s = cli.parse(std::vector<std::string>(args.begin(), split)); !s) return usageError(s.message(), kUsage);
    if (cli.helpRequested()) return std::puts(kUsage), 0;
    if (split == args.end() || split + 1 == args.end()) return usageError("need -- and a training command", kUsage);
    const std::vector<std::string> command(split + 1, args.end());
    if (command[0] != "train-vae" && command[0] != "train-prior" && command[0] != "train-renderer")
        return usageError("launch runs train-vae, train-prior or train-renderer", kUsage);
    const auto nproc = cli.integer("--nproc", 0, 1, kMaxLocalRanks);
    const auto port = cli.integer("--master-port", 0, 1, 65535);
    const auto timeout = cli.integer("--timeout", dist::kDefaultTimeoutSeconds, 1, 7 * 24 * 3600);
    for (const engine::Status& s : {nproc.status(), port.status(), timeout.status()})
        if (!s) return fail(s);
    if (!cli.has("--nproc")) return usageError("need --nproc N", kUsage);
    const int n = *nproc;
    const int masterPort = cli.has("--master-port") ? *port : freePort();
    const int threads = std::max(1, int(std::thread::hardware_concurrency()) / n);

    std::vector<std::string> argvText = {"/proc/self/exe"};
    argvText.insert(argvText.end(), command.begin(), command.end());
    std::vector<char*> argv;
    for (std::string& a : argvText) argv.push_back(a.data());
    argv.push_back(nullptr);
    auto previousInt = std::signal(SIGINT, forwardSignal);
    auto previousTerm = std::signal(SIGTERM, forwardSignal);
    auto previousHup = std::signal(SIGHUP, forwardSignal);
    std::vector<pid_t> pids(size_t(n), -1);
    bool spawnFailed = false;
    for (int r = 0; r < n; ++r) {
        std::vector<std::string> env;
        for (char** e = environ; *e; ++e) {
            const std::string entry = *e;
            const std::string key = entry.substr(0, entry.find('='));
            if (key == "RANK" || key == "LOCAL_RANK" || key == "WORLD_SIZE" || key == "MASTER_ADDR" ||
                key == "MASTER_PORT" || (key == "WAFT_DIST_TIMEOUT" && cli.has("--timeout")))
                continue;
            env.push_back(entry);
        }
        env.push_back("RANK=" + std::to_string(r));
        env.push_back("LOCAL_RANK=" + std::to_string(r));
        env.push_back("WORLD_SIZE=" + std::to_string(n));
        env.push_back("MASTER_ADDR=127.0.0.1");
        env.push_back("MASTER_PORT=" + std::to_string(masterPort));
        if (cli.has("--timeout") || !std::getenv("WAFT_DIST_TIMEOUT"))
            env.push_back("WAFT_DIST_TIMEOUT=" + std::to_string(*timeout));
        if (!std::getenv("OMP_NUM_THREADS")) env.push_back("OMP_NUM_THREADS=" + std::to_string(threads));
        std::vector<char*> envp;
        for (std::string& e : env) envp.push_back(e.data());
        envp.push_back(nullptr);
        // Each rank in its own process group: a terminal's Ctrl-C reaches launch alone, which forwards it once.
        posix_spawnattr_t attributes;
        posix_spawnattr_init(&attributes);
        posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
        posix_spawnattr_setpgroup(&attributes, 0);
        pid_t pid = -1;
        const int error = posix_spawn(&pid, "/proc/self/exe", nullptr, &attributes, argv.data(), envp.data());
        posix_spawnattr_destroy(&attributes);
        if (error != 0) {
            std::fprintf(stderr, "waft-cli launch: cannot start rank %d: %s\n", r, std::strerror(error));
            forwardSignal(SIGTERM);
            spawnFailed = true;
            break;
        }
        pids[size_t(r)] = g_ranks[r] = pid;
        g_rankCount = r + 1;
    }

    // Wait for every rank. After the first failure the others have the timeout to notice and stop; then they
    // are terminated, and killed if they still do not end.
    using Clock = std::chrono::steady_clock;
    int alive = g_rankCount, failedRank = -1, failedStatus = 0;
    Clock::time_point deadline = Clock::time_point::max();
    bool terminated = false;
    while (alive > 0) {
        int status = 0;
        const pid_t done = waitpid(-1, &status, failedRank < 0 ? 0 : WNOHANG);
        if (done < 0) {
            if (errno == EINTR) continue;
            break;
        }
        if (done == 0) {
            if (Clock::now() > deadline) {
                for (pid_t p : pids)
                    if (p > 0) kill(p, terminated ? SIGKILL : SIGTERM);
                deadline = Clock::now() + std::chrono::seconds(5);
                terminated = true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            continue;
        }
        const auto it = std::find(pids.begin(), pids.end(), done);
        if (it == pids.end()) continue;
        const int rank = int(it - pids.begin());
        *it = -1;
        g_ranks[rank] = -1;
        --alive;
        const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        if (code != 0 && failedRank < 0) {
            failedRank = rank;
            failedStatus = code;
            deadline = Clock::now() + std::chrono::seconds(*timeout + 10);
            if (WIFSIGNALED(status))
                std::fprintf(stderr, "waft-cli launch: rank %d was killed by signal %d\n", rank, WTERMSIG(status));
            else
                std::fprintf(stderr, "waft-cli launch: rank %d exited with status %d\n", rank, code);
        }
    }
    std::signal(SIGINT, previousInt);
    std::signal(SIGTERM, previousTerm);
    std::signal(SIGHUP, previousHup);
    g_rankCount = 0;
    if (spawnFailed || alive > 0) return 1;
    return failedRank >= 0 ? failedStatus : 0;
}

}  // namespace waft::app
