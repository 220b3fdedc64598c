#include <cstdio>

#include "CliArgs.h"
#include "Commands.h"
#include "scene/Scene.h"

namespace waft::app {

int runInfo(const std::vector<std::string>& args) {
    constexpr const char* kUsage = "waft-cli info SCENE.waft   (prints a JSON summary to stdout)";
    CliArgs cli({}, {});
    if (auto s = cli.parse(args); !s) return usageError(s.message(), kUsage);
    if (cli.helpRequested()) return std::puts(kUsage), 0;
    if (cli.positionals().size() != 1) return usageError("need one SCENE.waft", kUsage);
    auto scene = engine::loadScene(cli.positionals()[0]);
    if (!scene) return fail(scene.status());
    std::printf("%s\n", engine::sceneInfoJson(*scene).c_str());
    return 0;
}

}  // namespace waft::app
