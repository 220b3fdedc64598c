#include "ml/prior/ModelCache.h"

#include "ml/sd/SdPipeline.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "ml/prior/ModelFile.h"
#include "ml/prior/ModelMemory.h"

namespace waft::engine::prior {

namespace {
// Looks path up in cache under its identity; loads and remembers it (dropping older versions) otherwise.
template <typename Model, typename Key, typename Id, typename Load>
Expected<Model> cached(std::mutex& mutex, std::map<Key, Model>& cache, const std::string& path, const Id& id,
                       Load load) {
    std::error_code ec;
    const std::string key = std::filesystem::weakly_canonical(path, ec).string();
    {
        std::lock_guard<std::mutex> lock(mutex);
        const auto it = cache.find({key, id});
        if (it != cache.end()) return it->second;
    }
    auto model = load(path);  // outside the lock: loading takes seconds
    if (!model) return model.status();
    std::lock_guard<std::mutex> lock(mutex);
    for (auto it = cache.begin(); it != cache.end();) it = it->first.first == key ? cache.erase(it) : std::next(it);
    cache.emplace(std::make_pair(key, id), *model);
    return model;
}
}  // namespace

ModelCache& ModelCache::shared() {
    static ModelCache cache;
    return cache;
}

Expected<ModelCache::Identity> ModelCache::identity(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return Status::io("cannot open " + path + ": " + std::strerror(errno));
    return Identity{(unsigned long)st.st_dev, (unsigned long)st.st_ino, (long long)st.st_size,
                    (long long)st.st_mtim.tv_sec, (long long)st.st_mtim.tv_nsec};
}

Expected<MotionVae> ModelCache::vae(const std::string& path) {
    auto id = identity(path);
    if (!id) return id.status();
    return cached<MotionVae>(m_mutex, m_vaes, path, *id, [](const std::string& p) { return loadMotionVae(p); });
}

Expected<DenoiserUNet> ModelCache::denoiser(const std::string& path) {
    auto id = identity(path);
    if (!id) return id.status();
    return cached<DenoiserUNet>(m_mutex, m_denoisers, path, *id, [](const std::string& p) { return loadDenoiser(p); });
}

size_t ModelCache::size() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_vaes.size() + m_denoisers.size();
}

void ModelCache::clear() {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_vaes.clear();
    m_denoisers.clear();
}

size_t cachedModelCount() { return ModelCache::shared().size() + sd::cachedSdModelCount(); }
void releaseCachedModels() {
    ModelCache::shared().clear();
    sd::releaseCachedSdModels();
}

}  // namespace waft::engine::prior
