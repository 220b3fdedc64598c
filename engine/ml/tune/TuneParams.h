#pragma once
// What the video jobs that fine-tune the inflated SD 1.x UNet on a clip and then edit it take, and the jobs
// themselves as plain engine Jobs (torch-free: the CLI and the app include this; ml/tune/VideoTune.h is the
// engine-internal skeleton). Motion transfer: Spectral Motion Alignment on a Tune-A-Video fine-tune.

#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "core/Job.h"
#include "core/Status.h"
#include "ml/prior/PriorConfig.h"
#include "ml/sd/SdConfig.h"

namespace waft::engine::tune {

struct TuneClip {
    std::string video;
    double startSeconds = 0.0;
    double endSeconds = -1.0;  // < 0: the `frames` frames from the start on; else `frames` spread evenly over the range
    int frames = 8;            // 2..32
    // The work size: 0 x 0 = the range's, scaled so its long side is at most maxLongSide and rounded down to the
    // model's multiple (the VAE's factor times the UNet's downsampling, 64 for SD 1.5).
    int width = 0, height = 0;
    int maxLongSide = 512;
    // An in-memory source instead of `video` (benchmarks): BGR8 frames at `fps`, picked evenly as from a range.
    // Such a job is not journalled (its frames are nowhere on disk).
    std::vector<cv::Mat> frames8;
    double fps = 8.0;
};

struct TuneParams {
    std::string model;  // the base SD 1.x model (a diffusers folder or a single file)
    TuneClip clip;
    std::string sourcePrompt;  // what the clip shows (tuning's caption)
    std::string targetPrompt;  // what the result should show
    std::string negative;      // sampling's unconditional prompt ("": the empty prompt)
    int steps = 500;
    float learningRate = 3e-5f;
    unsigned seed = 0;
    int checkpointEvery = 100;  // 0: only at the end
    bool resume = false;        // continue from `tuned`'s training state when there is one
    int sampleSteps = 50;
    float guidance = 12.5f;
    std::string output;     // the result, .mp4
    std::string tuned;      // the trained tensors ("": next to output, OUT.tuned.safetensors)
    bool useTuned = false;  // no tuning: apply `tuned`, from an earlier run on the same base model
    bool gradientCheckpointing = false;
    prior::ComputeOptions compute;
};

std::string defaultTunedPath(const std::string& output);  // OUT.mp4 -> OUT.tuned.safetensors

// The JSON of TuneParams a resume spec carries, and back (untrusted: every field checked, missing ones default).
std::string tuneParamsJson(const TuneParams& params);
Expected<TuneParams> tuneParamsFromJson(const std::string& json);

enum class MotionObjective { TuneAVideo, Vmc };
bool parseMotionObjective(const std::string& name, MotionObjective& out);  // "tav", "vmc"
const char* motionObjectiveName(MotionObjective objective);

struct MotionTransferOptions {
    MotionObjective base = MotionObjective::TuneAVideo;
    // SMA's weights: the authors' README's 0.4 and 0.2 (their code's defaults differ); 0 turns a term off.
    float lambdaGlobal = 0.4f;
    float lambdaLocal = 0.2f;
    bool absoluteResiduals = false;  // the official code's |residual| (the paper's residuals are signed)
    int levels = 0;                  // Haar levels; 0: smaLevels(frames)
    double delta = 0.05;             // ω's exponent
    sd::FrameAttention attention = sd::FrameAttention::SparseCausal;
};

// The motion transfer job (kind "transfer" in the job journal): TuneParams' defaults are Tune-A-Video's (500
// steps, lr 3e-5, guidance 12.5, inversion with the empty prompt).
std::unique_ptr<Job> makeMotionTransferJob(TuneParams params, MotionTransferOptions options);
Expected<std::unique_ptr<Job>> motionTransferJobFromSpec(const std::string& paramsJson);

// Text-driven editing (SAVE): the query projections of the frame and cross attention (attn1.to_q, attn2.to_q)
// keep their singular vectors and learn only a shift δ of their singular values, W = U diag(ReLU(σ + δ)) Vᵀ,
// under the denoising loss plus λ Σ δᵢᵀ diag(σᵢ) δᵢ; then the clip is inverted with its caption and sampled
// under the edit prompt.
struct EditOptions {
    float lambda = 1e-3f;  // the paper's; 5e-2 for edits of several attributes
    // Also train the temporal attention in full (the official code does; the paper does not say). On by default:
    // on bench-edit it cut the track error from 0.27 to 0.10 and raised frame consistency (docs/BENCHMARKS.md), at
    // the cost of a larger tuned file (the temporal attention's weights beside the δ's).
    bool trainTemporal = true;
    bool fullTune = false;  // train the W^Q matrices themselves (Tune-A-Video style), for comparison
    sd::FrameAttention attention = sd::FrameAttention::FirstFrame;  // SAVE's eq. 6
};

// The edit job (kind "edit" in the job journal) with SAVE's settings: lr 1e-3, guidance 10, inversion with the
// source caption. `params` fields at their TuneParams defaults (steps 500, lr 3e-5, guidance 12.5) are replaced by
// SAVE's (300 steps, 1e-3, 10); the CLI and the app set them explicitly.
TuneParams editDefaults(TuneParams params);
std::unique_ptr<Job> makeEditJob(TuneParams params, EditOptions options);
Expected<std::unique_ptr<Job>> editJobFromSpec(const std::string& paramsJson);

}  // namespace waft::engine::tune
