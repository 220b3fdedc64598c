#include "ml/dist/Communicator.h"

#include <netdb.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <functional>
#include <thread>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef WAFT_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#ifdef WAFT_QUIET_GLOG
#include <glog/logging.h>
#endif

#include "core/Job.h"
#include "ml/prior/Compute.h"

namespace waft::engine::dist {

namespace {

constexpr int64_t kBucketBytes = int64_t(25) << 20;  // PyTorch DDP's default bucket

std::string text(const std::vector<uint8_t>& bytes) { return std::string(bytes.begin(), bytes.end()); }
std::vector<uint8_t> bytes(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

std::string hostName() {
    char name[256] = {};
    return gethostname(name, sizeof name - 1) == 0 ? std::string(name) : std::string("?");
}

// A process on this machine that has ended: gone, or a zombie its parent has not reaped yet (a rank dies and its
// peers notice before its launcher's wait()).
bool hasEnded(int pid) {
    if (pid <= 0) return false;
    if (kill(pid, 0) != 0) return errno == ESRCH;
    std::FILE* f = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
    if (!f) return false;
    char state = 0;
    const int fields = std::fscanf(f, "%*d (%*[^)]) %c", &state);
    std::fclose(f);
    return fields == 1 && (state == 'Z' || state == 'X');
}

bool isLoopback(const std::string& addr) { return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1"; }

// MASTER_ADDR must resolve before the store tries: c10d would retry a bad name until the timeout, logging.
Status checkResolves(const std::string& host, int port) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
    if (found) freeaddrinfo(found);
    if (rc != 0) return Status::invalid("MASTER_ADDR '" + host + "' does not resolve (" + gai_strerror(rc) + ")");
    return Status::ok();
}

}  // namespace

// The process group's collectives behind one signature, whichever backend class (and LibTorch version) holds them.
struct Communicator::Impl {
    DistributedEnv env;
    c10::intrusive_ptr<c10d::TCPStore> store;
    std::function<c10::intrusive_ptr<c10d::Work>(std::vector<at::Tensor>&, const c10d::AllreduceOptions&)> allreduce;
    std::function<c10::intrusive_ptr<c10d::Work>(std::vector<at::Tensor>&, const c10d::BroadcastOptions&)> broadcast;
    c10::intrusive_ptr<c10::intrusive_ptr_target> keepAlive;  // the process group itself
    torch::Device device{torch::kCPU};
    std::vector<int> pids;
    std::vector<std::string> hosts;
    int step = -1;
    int64_t collectives = 0;  // entered so far: the heartbeat; the rank that entered fewest is the one waited for
    double seconds = 0.0;
    void beat() {
        store->set("waft/beat/" + std::to_string(env.rank),
                   bytes(std::to_string(++collectives) + " " + std::to_string(step)));
    }
};

namespace {

template <typename Group>
void bindGroup(Communicator::Impl& impl, c10::intrusive_ptr<Group> group) {
    impl.allreduce = [group](std::vector<at::Tensor>& t, const c10d::AllreduceOptions& o) {
        return group->allreduce(t, o);
    };
    impl.broadcast = [group](std::vector<at::Tensor>& t, const c10d::BroadcastOptions& o) {
        return group->broadcast(t, o);
    };
    impl.keepAlive = group;
}

}  // namespace

Communicator::Communicator(std::unique_ptr<Impl> impl) : m(std::move(impl)) {}
Communicator::~Communicator() = default;
int Communicator::rank() const { return m->env.rank; }
int Communicator::worldSize() const { return m->env.worldSize; }
double Communicator::communicationSeconds() const { return m->seconds; }

Expected<std::shared_ptr<Communicator>> joinRun(const DistributedEnv& env, const prior::ComputeOptions& compute) {
    auto resolved = prior::resolveCompute(compute, true);
    if (!resolved) return resolved.status();
    WAFT_RETURN_IF_ERROR(checkResolves(env.masterAddr, env.masterPort));
#ifdef WAFT_QUIET_GLOG
    // c10d logs through glog to stderr while it retries and fails; the user gets our one line instead.
    FLAGS_minloglevel = google::GLOG_FATAL;
#endif
    auto impl = std::make_unique<Communicator::Impl>();
    impl->env = env;
    impl->device = resolved->device;
    const std::chrono::milliseconds timeout = std::chrono::seconds(env.timeoutSeconds);
    const std::string where = env.masterAddr + ":" + std::to_string(env.masterPort);
    try {
        c10d::TCPStoreOptions options;
        options.port = uint16_t(env.masterPort);
        options.isServer = env.rank == 0 && !env.agentStore;
        options.numWorkers = size_t(env.worldSize);
        options.waitWorkers = true;
        options.timeout = timeout;
        impl->store = c10::make_intrusive<c10d::TCPStore>(env.masterAddr, options);
    } catch (const std::exception& e) {
        const std::string what = e.what();
        if (what.find("Address already in use") != std::string::npos)
            return Status::invalid("MASTER_PORT " + std::to_string(env.masterPort) +
                                   " is in use on this machine: another run or program listens there; pick another");
        if (env.rank == 0)
            return Status::error(StatusCode::Internal,
                                 "not all " + std::to_string(env.worldSize) + " ranks joined at " + where + " within " +
                                     std::to_string(env.timeoutSeconds) + " s (" + oneLine(what, 120) + ")");
        return Status::error(StatusCode::Internal, "rank 0 did not answer at " + where + " within " +
                                                       std::to_string(env.timeoutSeconds) +
                                                       " s (is it running, and is MASTER_ADDR reachable from here?)");
    }
    try {
        const std::string prefix = "waft/rank/" + std::to_string(env.rank) + "/";
        impl->store->set(prefix + "pid", bytes(std::to_string(getpid())));
        impl->store->set(prefix + "host", bytes(hostName()));
#ifdef WAFT_WITH_NCCL
        if (impl->device.is_cuda()) {
            auto options = c10d::ProcessGroupNCCL::Options::create();
            options->timeout = timeout;
            bindGroup(*impl,
                      c10::make_intrusive<c10d::ProcessGroupNCCL>(impl->store, env.rank, env.worldSize, options));
        }
#endif
        if (!impl->allreduce) {
            auto options = c10d::ProcessGroupGloo::Options::create(timeout);
            const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
            options->devices.push_back(interface ? c10d::ProcessGroupGloo::createDeviceForInterface(interface)
                                       : isLoopback(env.masterAddr)
                                           ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                           : c10d::ProcessGroupGloo::createDefaultDevice());
            bindGroup(*impl,
                      c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, env.rank, env.worldSize, options));
        }
        // Every rank has written its pid and host before the group formed: read them for the fault report.
        for (int r = 0; r < env.worldSize; ++r) {
            const std::string prefix = "waft/rank/" + std::to_string(r) + "/";
            impl->pids.push_back(std::atoi(text(impl->store->get(prefix + "pid")).c_str()));
            impl->hosts.push_back(text(impl->store->get(prefix + "host")));
        }
    } catch (const std::exception& e) {
        return Status::error(StatusCode::Internal,
                             "the ranks could not connect to each other (" + oneLine(e.what(), 160) + ")");
    }
    return std::make_shared<Communicator>(std::move(impl));
}

Status Communicator::failed(const std::exception& e, const std::string& during) {
    const std::string tail = " (" + oneLine(e.what(), 100) + ")";
    const std::string host = hostName();
    // A peer's sockets close while its process is still exiting: give a dying rank up to a second to be seen.
    std::vector<int> dead;
    for (int attempt = 0; attempt < 20 && dead.empty(); ++attempt) {
        if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        for (int r = 0; r < worldSize(); ++r)
            if (r != rank() && size_t(r) < m->pids.size() && m->hosts[size_t(r)] == host &&
                hasEnded(m->pids[size_t(r)]))
                dead.push_back(r);
    }
    const auto stopped = [&](const std::string& who) {
        return Status::error(StatusCode::Internal, "distributed training stopped during " + during + " at step " +
                                                       std::to_string(m->step) + ": " + who + tail);
    };
    if (!dead.empty()) return stopped("rank " + std::to_string(dead.front()) + " has exited");
    // Heartbeats: the rank that entered the fewest collectives is the one every other rank waits for.
    int behind = -1, behindStep = -1;
    int64_t fewest = m->collectives;
    try {
        for (int r = 0; r < worldSize(); ++r) {
            if (r == rank()) continue;
            const std::string key = "waft/beat/" + std::to_string(r);
            long long calls = 0;
            int step = -1;
            if (m->store->check({key})) std::sscanf(text(m->store->get(key)).c_str(), "%lld %d", &calls, &step);
            if (calls < fewest) behind = r, behindStep = step, fewest = calls;
        }
    } catch (const std::exception&) {
        return stopped(rank() == 0 ? "the rendezvous store failed" : "rank 0, which hosts the rendezvous, is gone");
    }
    if (behind >= 0)
        return stopped("rank " + std::to_string(behind) + " stopped responding" +
                       (behindStep >= 0 ? " in step " + std::to_string(behindStep) : " before its first step"));
    return stopped("no answer from the other ranks");
}

Status Communicator::averageGradients(const std::vector<torch::Tensor>& parameters, torch::Tensor* loss) {
    const auto start = std::chrono::steady_clock::now();
    torch::NoGradGuard noGrad;
    // Buckets of consecutive same-type gradients; the loss rides in the first bucket of its type.
    std::vector<std::vector<torch::Tensor>> buckets;
    int64_t bucketBytes = kBucketBytes;
    for (const torch::Tensor& p : parameters) {
        if (!p.requires_grad()) continue;
        torch::Tensor& g = const_cast<torch::Tensor&>(p).mutable_grad();
        if (!g.defined()) g = torch::zeros_like(p);
        const int64_t b = g.numel() * int64_t(g.element_size());
        if (buckets.empty() || bucketBytes + b > kBucketBytes ||
            buckets.back().front().scalar_type() != g.scalar_type())
            buckets.emplace_back(), bucketBytes = 0;
        buckets.back().push_back(g);
        bucketBytes += b;
    }
    std::vector<torch::Tensor> flats;
    int lossFlat = -1;  // the loss is the last element of this flat buffer
    for (const auto& bucket : buckets) {
        std::vector<torch::Tensor> parts;
        for (const torch::Tensor& g : bucket) parts.push_back(g.reshape({-1}));
        if (loss && lossFlat < 0 && bucket.front().scalar_type() == loss->scalar_type() &&
            bucket.front().device() == loss->device()) {
            parts.push_back(loss->detach().reshape({1}));
            lossFlat = int(flats.size());
        }
        flats.push_back(torch::cat(parts));
    }
    if (loss && lossFlat < 0) {
        lossFlat = int(flats.size());
        flats.push_back(loss->detach().reshape({1}).clone());
    }
    try {
        m->beat();
        std::vector<c10::intrusive_ptr<c10d::Work>> works;
        std::vector<std::vector<at::Tensor>> args(flats.size());
        for (size_t i = 0; i < flats.size(); ++i) {
            args[i] = {flats[i]};
            works.push_back(m->allreduce(args[i], c10d::AllreduceOptions()));
        }
        for (auto& w : works) w->wait();
    } catch (const std::exception& e) {
        return failed(e, "the gradient all-reduce");
    }
    for (torch::Tensor& flat : flats) flat.div_(double(worldSize()));
    for (size_t i = 0; i < buckets.size(); ++i) {
        int64_t offset = 0;
        for (torch::Tensor& g : buckets[i]) {
            g.copy_(flats[i].narrow(0, offset, g.numel()).view_as(g));
            offset += g.numel();
        }
    }
    if (loss) *loss = flats[size_t(lossFlat)].narrow(0, flats[size_t(lossFlat)].numel() - 1, 1).reshape({}).clone();
    m->seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return Status::ok();
}

Status Communicator::broadcastFromMain(const std::vector<torch::Tensor>& tensors) {
    torch::NoGradGuard noGrad;
    try {
        m->beat();
        for (const torch::Tensor& t : tensors) {
            std::vector<at::Tensor> arg{t.detach()};
            c10d::BroadcastOptions options;
            options.rootRank = 0;
            m->broadcast(arg, options)->wait();
        }
    } catch (const std::exception& e) {
        return failed(e, "the weights' broadcast");
    }
    return Status::ok();
}

Expected<std::vector<double>> Communicator::maxOverRanks(const std::vector<double>& values, const std::string& during) {
    std::vector<at::Tensor> arg{torch::tensor(values, torch::kFloat64).to(m->device)};
    try {
        m->beat();
        c10d::AllreduceOptions options;
        options.reduceOp = c10d::ReduceOp::MAX;
        m->allreduce(arg, options)->wait();
    } catch (const std::exception& e) {
        return failed(e, during);
    }
    const torch::Tensor result = arg[0].cpu().contiguous();
    return std::vector<double>(result.data_ptr<double>(), result.data_ptr<double>() + result.numel());
}

Expected<bool> Communicator::agreeOnStep(int step, bool cancelled) {
    const auto start = std::chrono::steady_clock::now();
    m->step = step;
    // [step, -step, cancelled] under MAX: the largest and the smallest step, and whether any rank was cancelled.
    auto values = maxOverRanks({double(step), -double(step), cancelled ? 1.0 : 0.0}, "the step agreement");
    if (!values) return values.status();
    m->seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if ((*values)[0] != -(*values)[1])
        return Status::error(StatusCode::Internal, "the ranks are at different steps (" +
                                                       std::to_string(int64_t(-(*values)[1])) + " to " +
                                                       std::to_string(int64_t((*values)[0])) + ")");
    return (*values)[2] > 0.0;
}

Status Communicator::checkSame(int64_t value, const std::string& what) {
    auto values = maxOverRanks({double(value), -double(value)}, "a consistency check");
    if (!values) return values.status();
    if ((*values)[0] != -(*values)[1])
        return Status::invalid("the ranks disagree on " + what + " (" + std::to_string(int64_t(-(*values)[1])) +
                               " to " + std::to_string(int64_t((*values)[0])) +
                               "): give every rank the same files and options");
    return Status::ok();
}

}  // namespace waft::engine::dist
