#pragma once

#include <string>

namespace waft::engine {

// What this build is: the project's version (CMake's project(VERSION)) and the git revision it was built from
// ("dd0ae4167339", "...-dirty" for uncommitted changes, "unknown" outside a checkout). Any thread.
const char* version();
const char* gitRevision();
// "waft-cli 0.1.0 (git dd0ae4167339)": what --version prints and the About box shows.
std::string versionLine(const std::string& program);

}  // namespace waft::engine
