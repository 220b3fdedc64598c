#include "core/Resources.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

namespace waft::engine {

std::string resourcesDir() {
    if (const char* env = std::getenv("WAFT_RESOURCES_DIR"); env && *env) return env;
    char exe[4096];
    const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        std::error_code ec;
        const auto installed = std::filesystem::path(exe).parent_path().parent_path() / "share" / "waft";
        if (std::filesystem::is_directory(installed, ec)) return installed.string();
    }
    return WAFT_SOURCE_RESOURCES_DIR;
}

std::string bundledSample() { return resourcesDir() + "/samples/tree.avi"; }
std::string bundledPhotoSample() { return resourcesDir() + "/samples/meadow.jpg"; }
std::string bundledPhotoSampleStrokes() { return resourcesDir() + "/samples/meadow-strokes.json"; }

}  // namespace waft::engine
