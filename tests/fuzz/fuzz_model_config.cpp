// A motion-prior or neural-renderer model file up to the point where modules would be built: the safetensors
// header, its metadata read as a VAE, a denoiser and a renderer config (fields, architecture, parameter count),
// then the latent sizes and activation budgets the predict job and the renderer check.
#include <cstdint>
#include <vector>

#include "io/SafetensorsFile.h"
#include "ml/prior/ModelBudget.h"
#include "ml/prior/ModelConfigFile.h"
#include "ml/render/RendererConfig.h"

using namespace waft::engine;
using namespace waft::engine::prior;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto file = SafetensorsFile::parse(std::vector<uint8_t>(data, data + size));
    if (!file) return 0;
    if (auto vae = readVaeConfig(file->metadata(), "fuzz")) (void)vaeParameterCount(*vae);
    if (auto unet = readUNetConfig(file->metadata(), "fuzz")) {
        for (const int side : {0, 1, 7, 8, 32, 512, 4096}) {
            if (checkLatentSize(*unet, side, side).isOk()) (void)checkActivationBudget(*unet, side, side, 16);
        }
    }
    if (auto renderer = render::readRendererConfig(file->metadata(), "fuzz")) {
        (void)render::rendererParameterCount(*renderer);
        for (const int side : {0, 1, 7, 64, 1280, 16384}) (void)render::checkRendererFrame(*renderer, side, side);
    }
    return 0;
}
