// A Stable Diffusion single-file checkpoint as openSdModel checks it from its header alone: the embedded
// waft_sd_config (fields, levels, the parts fitting each other, the parameter cap), every part's tensor names,
// shapes and dtypes, extras; then the summary `waft-cli models` prints.
#include <cstdint>

#include "FuzzFile.h"
#include "ml/sd/SdModelFiles.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = writeFuzzInput(data, size, ".safetensors");
    auto model = waft::engine::sd::openSdModel(path);
    if (model) (void)waft::engine::sd::sdModelSummaryJson(*model);
    return 0;
}
