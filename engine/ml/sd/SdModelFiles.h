#pragma once
// Where a user's Stable Diffusion 1.x weights are and what they hold, checked from the safetensors headers
// alone (nothing mapped, nothing built): a diffusers folder (model_index.json; unet/, vae/, text_encoder/ each
// with a config.json and a .safetensors file) or a single-file checkpoint (model.diffusion_model.*,
// first_stage_model.*, cond_stage_model.transformer.*). Pickle files (.ckpt, .bin, .pt, .pth) are refused:
// nothing from a file is executed. Torch-free.

#include <map>
#include <string>
#include <vector>

#include "core/Status.h"
#include "ml/sd/SdConfig.h"
#include "ml/sd/SdTensors.h"

namespace waft::engine::sd {

enum class SdLayout { Diffusers, SingleFile };

struct SdPartFile {
    std::string path;   // the safetensors file holding the part (one file for all three in a single file)
    std::string dtype;  // "F32", "F16", "BF16", or "mixed"
    int64_t parameters = 0;
    int tensors = 0;
};

struct SdModelFiles {
    std::string root;
    SdLayout layout = SdLayout::Diffusers;
    SdConfig config;  // SD 1.5's, or a diffusers folder's config.json files, or a single file's waft_sd_config
    std::map<SdPart, SdPartFile> parts;
    // An inflated video UNet's file (Tune-A-Video's, Waft's fine-tunes) also holds every norm_temp/attn_temp
    // tensor; Waft's own say their self-attention mode (metadata waft_self_attention).
    bool temporal = false;
    FrameAttention selfAttention = FrameAttention::SparseCausal;
    int ignoredTensors = 0;  // a single file's DDPM buffers, EMA copies and position ids
};

// Finds the model at `path` and checks every part's tensors against its config by name, shape and dtype: a
// missing, extra or misshapen tensor, a non-floating dtype or a config beyond kMaxSdParameters is one line
// naming it.
constexpr int64_t kMaxSdParameters = 4'000'000'000;
Expected<SdModelFiles> openSdModel(const std::string& path);

// What openSdModel found, as one JSON object (layout, per-part file, dtype, tensor and parameter counts, sizes).
std::string sdModelSummaryJson(const SdModelFiles& model);

// A configuration in diffusers' config.json keys, one object per part ({"unet": ..., "vae": ...,
// "text_encoder": ...}): what a single file's waft_sd_config metadata holds.
std::string sdConfigJson(const SdConfig& config);

// The names a diffusers tensor of `part` may have in a file of `layout`, tried in order: its single-file name, or
// its diffusers name and then the older diffusers VAE name.
std::vector<std::string> sdFileNames(SdLayout layout, const SdConfig& config, SdPart part, const std::string& name);

// A single file's tensor names that a loader ignores: LDM's DDPM schedule buffers, model_ema.*, position_ids.
bool isIgnorableSingleFileTensor(const std::string& name);

}  // namespace waft::engine::sd
