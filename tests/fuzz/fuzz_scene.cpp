// A whole .waft scene: container, tensors, metadata JSON (settings, source), validation.
#include "FuzzFile.h"
#include "scene/Scene.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto scene = waft::engine::loadScene(writeFuzzInput(data, size, ".waft"));
    if (scene) (void)waft::engine::sceneInfoJson(*scene);
    return 0;
}
