#include "SdTestModelFile.h"

#include <torch/torch.h>

#include "SdTestModels.h"
#include "ml/render/NeuralRenderer.h"
#include "ml/sd/AutoencoderKl.h"
#include "ml/sd/ClipTextModel.h"
#include "ml/sd/SdModelLoader.h"
#include "ml/sd/SdUNet.h"

namespace waft::test {

std::string writeTinySdModel(const std::string& path, uint64_t seed, float unetOutputScale) {
    torch::manual_seed(seed);
    const engine::sd::SdConfig c = tinySdConfig();
    engine::sd::ClipTextModel text(c.text);
    engine::sd::AutoencoderKl vae(c.vae);
    engine::sd::SdUNet unet(c.unet);
    {
        torch::NoGradGuard noGrad;
        for (auto& p : unet->named_parameters())
            if (p.key().rfind("conv_out.", 0) == 0) p.value().mul_(unetOutputScale);
    }
    const auto s =
        engine::sd::saveSdSingleFile(*text, *vae, *unet, c, {engine::sd::FrameAttention::PerFrame, false}, path);
    return s ? path : std::string();
}

bool writeFreshRenderer(const std::string& path) {
    engine::render::NeuralRenderer model(engine::render::rendererPreset(engine::prior::ModelPreset::Tiny));
    return engine::render::saveNeuralRenderer(model, path).isOk();
}

}  // namespace waft::test
