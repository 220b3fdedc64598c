#include "core/Version.h"

#include "WaftRevision.h"  // generated at build time by cmake/WriteRevision.cmake

namespace waft::engine {

const char* version() { return WAFT_VERSION; }

const char* gitRevision() { return WAFT_GIT_REVISION; }

std::string versionLine(const std::string& program) {
    return program + " " + version() + " (git " + gitRevision() + ")";
}

}  // namespace waft::engine
