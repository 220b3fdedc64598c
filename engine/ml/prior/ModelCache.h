#pragma once
// Engine-internal (pulls in torch).

#include <map>
#include <mutex>
#include <string>
#include <tuple>

#include "core/Status.h"
#include "ml/prior/MotionModels.h"

namespace waft::engine::prior {

// Loaded models kept for the session, keyed by file identity (device, inode, size, modification time): a
// model is read once and reused while its file is unchanged, and read again when it changes. Returned
// models share their modules with the cache (torch holders), so callers must not train them in place.
// Thread-safe; ModelMemory.h frees them.
class ModelCache {
public:
    static ModelCache& shared();
    Expected<MotionVae> vae(const std::string& path);
    Expected<DenoiserUNet> denoiser(const std::string& path);
    size_t size() const;
    void clear();

    // A file's identity (device, inode, size, modification time in ns): the cache key of what was read from it.
    using Identity = std::tuple<unsigned long, unsigned long, long long, long long, long long>;
    static Expected<Identity> identity(const std::string& path);

private:
    mutable std::mutex m_mutex;
    std::map<std::pair<std::string, Identity>, MotionVae> m_vaes;
    std::map<std::pair<std::string, Identity>, DenoiserUNet> m_denoisers;
};

}  // namespace waft::engine::prior
