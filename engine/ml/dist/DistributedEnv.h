#pragma once
// Where this process sits in a data-parallel training run, read from torchrun's environment (RANK, WORLD_SIZE,
// LOCAL_RANK, MASTER_ADDR, MASTER_PORT), which a Slurm script or `waft-cli launch` sets the same way. Torch-free:
// the CLI reads it; joining the run (ml/dist/Communicator.h) is the engine's.

#include <functional>
#include <memory>
#include <string>

#include "core/Status.h"
#include "ml/prior/PriorConfig.h"

namespace waft::engine::dist {

class Communicator;

constexpr int kMaxWorldSize = 4096;
constexpr int kDefaultTimeoutSeconds = 300;

struct DistributedEnv {
    bool enabled = false;  // WORLD_SIZE is set: join a process group (world size 1 too: a smoke test)
    int rank = 0;
    int worldSize = 1;
    int localRank = 0;
    std::string masterAddr = "127.0.0.1";
    int masterPort = 29500;
    // WAFT_DIST_TIMEOUT (seconds): a rendezvous or a collective that makes no progress for this long ends the run
    // on every rank with one line naming the rank it waited for.
    int timeoutSeconds = kDefaultTimeoutSeconds;
    // TORCHELASTIC_USE_AGENT_STORE=True: torchrun's agent already hosts the store at MASTER_ADDR:MASTER_PORT, so
    // every rank, rank 0 too, connects to it as a client.
    bool agentStore = false;
    bool isMain() const { return rank == 0; }
};

// Reads the variables through `get` (a name -> value or null). Absent WORLD_SIZE: not distributed. Malformed or
// inconsistent values (RANK >= WORLD_SIZE, a port outside 1..65535) are a one-line error naming the variable.
Expected<DistributedEnv> readDistributedEnv(const std::function<const char*(const char*)>& get);
Expected<DistributedEnv> distributedEnvFromEnvironment();

// Joins the process group `env` describes (rendezvous through a TCP store that rank 0 hosts at MASTER_ADDR:
// MASTER_PORT): Gloo for CPU training; for CUDA, NCCL where this LibTorch has it, else Gloo. A name that does not
// resolve, a port in use, or ranks that do not all arrive within the timeout give one line.
Expected<std::shared_ptr<Communicator>> joinRun(const DistributedEnv& env, const prior::ComputeOptions& compute);

}  // namespace waft::engine::dist
