#include "ml/dist/DistributedEnv.h"

#include <charconv>
#include <cstdlib>
#include <cstring>

namespace waft::engine::dist {

namespace {

// A whole decimal integer within [lo, hi], or an error naming the variable.
Expected<int> integerVariable(const char* name, const char* text, int lo, int hi) {
    int value = 0;
    const char* end = text + std::strlen(text);
    const auto [ptr, ec] = std::from_chars(text, end, value);
    if (ec != std::errc() || ptr != end || text == end || value < lo || value > hi)
        return Status::invalid(std::string(name) + " must be an integer in " + std::to_string(lo) + ".." +
                               std::to_string(hi) + " (it is '" + std::string(text).substr(0, 32) + "')");
    return value;
}

}  // namespace

Expected<DistributedEnv> readDistributedEnv(const std::function<const char*(const char*)>& get) {
    DistributedEnv env;
    const char* world = get("WORLD_SIZE");
    if (!world) return env;
    env.enabled = true;
    auto worldSize = integerVariable("WORLD_SIZE", world, 1, kMaxWorldSize);
    if (!worldSize) return worldSize.status();
    env.worldSize = *worldSize;
    const char* rank = get("RANK");
    if (!rank) return Status::invalid("WORLD_SIZE is set but RANK is not");
    auto r = integerVariable("RANK", rank, 0, env.worldSize - 1);
    if (!r) return r.status();
    env.rank = *r;
    if (const char* local = get("LOCAL_RANK")) {
        auto l = integerVariable("LOCAL_RANK", local, 0, env.worldSize - 1);
        if (!l) return l.status();
        env.localRank = *l;
    }
    if (const char* addr = get("MASTER_ADDR")) {
        env.masterAddr = addr;
        if (env.masterAddr.empty() || env.masterAddr.size() > 253)
            return Status::invalid("MASTER_ADDR must be a host name or address");
    } else if (env.worldSize > 1) {
        return Status::invalid("WORLD_SIZE is " + std::to_string(env.worldSize) + " but MASTER_ADDR is not set");
    }
    if (const char* port = get("MASTER_PORT")) {
        auto p = integerVariable("MASTER_PORT", port, 1, 65535);
        if (!p) return p.status();
        env.masterPort = *p;
    } else if (env.worldSize > 1) {
        return Status::invalid("WORLD_SIZE is " + std::to_string(env.worldSize) + " but MASTER_PORT is not set");
    }
    if (const char* agent = get("TORCHELASTIC_USE_AGENT_STORE")) env.agentStore = std::string(agent) == "True";
    if (const char* timeout = get("WAFT_DIST_TIMEOUT")) {
        auto t = integerVariable("WAFT_DIST_TIMEOUT", timeout, 1, 7 * 24 * 3600);
        if (!t) return t.status();
        env.timeoutSeconds = *t;
    }
    return env;
}

Expected<DistributedEnv> distributedEnvFromEnvironment() {
    return readDistributedEnv([](const char* name) { return std::getenv(name); });
}

}  // namespace waft::engine::dist
