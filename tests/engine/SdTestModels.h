#pragma once
// The tiny Stable Diffusion configuration the SD suites share (torch-free): two UNet levels of 32 and 64 with
// cross-attention on the first, a two-level VAE, a two-layer text tower of width 32 over 100 tokens.
#include "ml/sd/SdConfig.h"

namespace waft::test {

inline engine::sd::SdConfig tinySdConfig() {
    engine::sd::SdConfig c;
    c.unet.channels = {32, 64};
    c.unet.crossAttention = {true, false};
    c.unet.layersPerBlock = 1;
    c.unet.crossAttentionDim = 32;
    c.unet.heads = 4;
    c.unet.groups = 8;
    c.vae.channels = {16, 32};
    c.vae.layersPerBlock = 1;
    c.vae.groups = 8;
    c.text.vocabSize = 100;
    c.text.contextLength = 12;
    c.text.width = 32;
    c.text.layers = 2;
    c.text.heads = 4;
    c.text.intermediate = 64;
    return c;
}

}  // namespace waft::test
