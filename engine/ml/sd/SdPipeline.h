#pragma once
// Stable Diffusion 1.x end to end on the engine's parts: a loaded model (text tower, VAE, UNet inflated as asked),
// prompt encoding, and DDIM sampling and inversion of latents with classifier-free guidance and a negative
// prompt, for images (frames = 1) and clips (frames folded into the batch). Engine-internal (pulls in torch).

#include <torch/torch.h>

#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>

#include "core/Status.h"
#include "ml/common/Ddim.h"
#include "ml/prior/Compute.h"
#include "ml/sd/AutoencoderKl.h"
#include "ml/sd/ClipTextModel.h"
#include "ml/sd/SdModelFiles.h"
#include "ml/sd/SdUNet.h"

namespace waft::engine::sd {

// The three modules of one model on one device, in eval mode. Shared (the cache hands the same one out while
// its files are unchanged); callers must not train it in place.
struct SdModel {
    SdModelFiles files;
    ClipTextModel text{nullptr};
    AutoencoderKl vae{nullptr};
    SdUNet unet{nullptr};
    prior::Compute compute;     // the text tower and the UNet: fp32, or weights in compute.autocast with fp32 norms
    prior::Compute vaeCompute;  // the VAE: as compute, but fp32 where compute is fp16 (SD 1.5's VAE overflows)
};

// Opens, checks and loads the model at `path` (a diffusers folder or a single file) with its UNet inflated as
// `inflation` says (with temporal attention whenever the file holds its layers), once per session: a second call with
// the same files (size and modification time) and options returns the same model. In bf16 or fp16 the weights
// live in that dtype (converted tensor by tensor as they load) except the norms', which stay fp32.
Expected<std::shared_ptr<SdModel>> loadSdModel(const std::string& path, const InflationConfig& inflation,
                                               const prior::ComputeOptions& compute);

// A private copy for fine-tuning (not cached; the cached model is dropped first, one SD model at a time): the
// UNet keeps fp32 weights (the optimizer's master copy) and runs under the compute's autocast; the text tower
// and the VAE are as loadSdModel makes them. Training computes (fp16 refused: it would need loss scaling).
Expected<std::shared_ptr<SdModel>> loadSdModelForTuning(const std::string& path, const InflationConfig& inflation,
                                                        const prior::ComputeOptions& compute);

// 8-bit BGR frames -> [N, 3, H, W] RGB in [-1, 1] on `device` (what SD's VAE takes), and back (clamped).
torch::Tensor framesToTensor(const std::vector<cv::Mat>& frames, const torch::Device& device);
std::vector<cv::Mat> tensorToFrames(const torch::Tensor& images);

// The VAE in its compute: images [N, 3, H, W] in [-1, 1] -> scaled latents, and back; fp32 results, `slice`
// images at a time, frames larger than a tile in tiles (AutoencoderKl.h).
torch::Tensor vaeEncode(SdModel& model, const torch::Tensor& images, int slice = 1, const VaeTiling& tiling = {});
torch::Tensor vaeDecode(SdModel& model, const torch::Tensor& latents, int slice = 1, const VaeTiling& tiling = {});

// The cached SD models (0 or 1) and dropping them (prior/ModelMemory.h's release frees them too).
size_t cachedSdModelCount();
void releaseCachedSdModels();

// SD 1.5's schedule: scaled-linear betas 0.00085..0.012 over 1000 steps, leading timesteps with offset 1,
// alpha-bar after the last step = alphas_cumprod[0] (set_alpha_to_one = false).
ml::NoiseSchedule sdSchedule();
ml::DdimOptions sdDdimOptions(int steps);

// Text states [1, 77, width] of a prompt (CLIP BPE, padded with EOS). `truncatedTokens` gets how many tokens of
// a long prompt did not fit (0 when all did).
Expected<torch::Tensor> encodePrompt(SdModel& model, const std::string& prompt, int* truncatedTokens = nullptr);

struct SdGuidance {
    torch::Tensor conditional;    // [1, 77, width]
    torch::Tensor unconditional;  // the negative prompt's (the empty prompt's by default)
    double scale = 7.5;           // 1: the conditional pass alone
};

// The guided noise estimate of `model` for latents [F, 4, h, w] of one clip of F frames (F = 1: an image): one
// batched UNet call for both passes.
ml::Epsilon guidedEpsilon(SdModel& model, const SdGuidance& guidance, int frames);

}  // namespace waft::engine::sd
