#pragma once
// Sizes of Stable Diffusion 1.5's three parts and of its inflation to video (Tune-A-Video, SAVE). The
// defaults are SD 1.5's published configuration; tests use tiny ones. Torch-free, so a model folder's
// configuration can be read, checked and shown anywhere before a module is built.

#include <string>
#include <vector>

namespace waft::engine::sd {

// Tiles within a frame, in latent pixels (image tiles are `tile` times the downsampling factor): a frame whose
// latent is larger than `tile` on either side runs as tiles of tile×tile, `overlap` apart-sharing, blended with
// linear ramps across the overlap (each tile's GroupNorm sees only its tile, so a tiled result differs slightly
// from an untiled one; frames that fit one tile are exact). tile = 0: never tile.
struct VaeTiling {
    int tile = 64;     // SD 1.5: 512×512 images decode whole, bigger ones in 512-pixel tiles
    int overlap = 16;  // clamped below tile / 2
};

// CLIP ViT-L/14's text tower (transformers CLIPTextModel): quick-GELU MLP, causal self-attention, final
// LayerNorm. SD 1.x conditions on the last layer's normalised output (clip-skip 1).
struct ClipTextConfig {
    int vocabSize = 49408;
    int contextLength = 77;
    int width = 768;
    int layers = 12;
    int heads = 12;
    int intermediate = 3072;
};

// AutoencoderKL (diffusers): 8x downsampling for four levels, 4 latent channels scaled by 0.18215.
struct VaeKlConfig {
    int imageChannels = 3;
    int latentChannels = 4;
    std::vector<int> channels = {128, 256, 512, 512};  // per level; every level but the last halves the size
    int layersPerBlock = 2;                            // resnets per encoder level (the decoder has one more)
    int groups = 32;
    float scalingFactor = 0.18215f;
};

// UNet2DConditionModel as SD 1.5 configures it: cross-attention down blocks on every level but the last, the
// mirror on the way up, one transformer per attention block, GEGLU feed-forward, 8 heads at every width
// (SD 1.5's `attention_head_dim: 8` is a head count).
struct SdUNetConfig {
    int inChannels = 4;
    int outChannels = 4;
    std::vector<int> channels = {320, 640, 1280, 1280};
    std::vector<bool> crossAttention = {true, true, true, false};  // per down level; up levels mirror it
    int layersPerBlock = 2;
    int crossAttentionDim = 768;  // the text encoder's width
    int heads = 8;
    int groups = 32;
    int timeEmbedDim() const { return 4 * (channels.empty() ? 0 : channels.front()); }
};

// How the image UNet sees a clip (frames folded into the batch for convolutions and cross-attention).
enum class FrameAttention {
    PerFrame,      // every frame attends to itself: the image model, frame by frame
    SparseCausal,  // keys and values from the first and the previous frame (Tune-A-Video)
    FirstFrame,    // keys and values from the first frame only (SAVE eq. 6)
    Full           // every frame attends to all frames' tokens (spatio-temporal)
};
struct InflationConfig {
    FrameAttention selfAttention = FrameAttention::SparseCausal;
    bool temporalAttention = true;  // norm_temp + attn_temp after each transformer block's feed-forward
};

struct SdConfig {
    ClipTextConfig text;
    VaeKlConfig vae;
    SdUNetConfig unet;
};

bool parseFrameAttention(const std::string& name, FrameAttention& out);
const char* frameAttentionName(FrameAttention mode);

}  // namespace waft::engine::sd
