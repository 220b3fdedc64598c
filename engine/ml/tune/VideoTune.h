#pragma once
// The one fine-tune-then-edit job both video jobs run (motion transfer: ml/tune/MotionTransfer.h; text-driven
// editing: SAVE): a range of the user's clip is encoded to latents, a method decides which tensors of the inflated
// SD UNet train and on what loss, the job tunes them (AdamW, progress with every loss term and an ETA, cancel
// between steps, a checkpoint every N steps and an exact resume), saves only the trained tensors as a small
// safetensors (reusable on the same base model for more prompts), then DDIM-inverts the clip and samples it under
// the new prompt with classifier-free guidance, and writes the result at the range's pace and size (its long side
// at most 1280: the decoder's cap).
// Engine-internal (pulls in torch).

#include <torch/torch.h>

#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/Job.h"
#include "ml/sd/SdUNet.h"
#include "ml/tune/TuneParams.h"

namespace waft::engine::tune {

// One step's tensors, one clip [F, C, h, w]: clean latents x0, z_t, the noise and the UNet's estimate of it.
struct TuneBatch {
    torch::Tensor clean, noisy, noise, predicted;
    double alphaBar = 1.0;
    int64_t timestep = 0;
};

using LossTerms = std::vector<std::pair<std::string, double>>;

class TuneMethod {
public:
    virtual ~TuneMethod() = default;
    virtual std::string kind() const = 0;  // the tuned file's method tag: "transfer", "edit"
    virtual sd::InflationConfig inflation() const = 0;
    // Once, on the freshly loaded fp32 UNet: freezes what does not train, creates what does, and returns the
    // trained tensors by name (what the tuned file and the training state hold).
    virtual torch::OrderedDict<std::string, torch::Tensor> prepare(sd::SdUNet& unet) = 0;
    // What identifies the base model for this method's tuned files (default: a hash of the trained tensors' values
    // right after prepare; a method that creates tensors the base file lacks hashes only the base's).
    virtual uint64_t baseHash(sd::SdUNet& unet, const torch::OrderedDict<std::string, torch::Tensor>& trained);
    // Before each forward after the trained values changed (SAVE rebuilds its query weights); default: nothing.
    virtual void refresh(sd::SdUNet&) {}
    // The loss of one step; `terms` gets its named parts for progress.
    virtual torch::Tensor loss(const TuneBatch& batch, LossTerms& terms) = 0;
    // Inversion's prompt: Tune-A-Video inverts with the empty prompt, SAVE with the source caption.
    virtual bool invertWithSourcePrompt() const { return false; }
    // What the tuned file records of the method's options (checked when a file is applied or resumed).
    virtual std::string optionsJson() const = 0;
};

// FNV-1a over tensors' fp32 bytes, in order.
uint64_t hashTensors(const std::vector<torch::Tensor>& tensors);

// The frames of a clip range as TuneClip picks them, and the rate that keeps the range's duration.
struct PickedClip {
    std::vector<cv::Mat> frames;  // BGR8 at the decoded size
    double fps = 8.0;
};
Expected<PickedClip> pickClipFrames(const TuneClip& clip, Progress::Range progress, const CancelToken& cancel);

class VideoTuneJob : public Job {
public:
    VideoTuneJob(std::string name, std::string specKind, TuneParams params, std::shared_ptr<TuneMethod> method,
                 std::string methodSpecJson)
        : m_name(std::move(name)),
          m_specKind(std::move(specKind)),
          m_params(std::move(params)),
          m_method(std::move(method)),
          m_methodSpec(std::move(methodSpecJson)) {}
    std::string name() const override { return m_name; }
    JobLane lane() const override { return JobLane::Compute; }
    Status run(Progress& progress, const CancelToken& cancel) override;
    std::optional<JobSpec> resumeSpec() const override;
    std::string summary() const override { return m_summary; }

    const std::vector<cv::Mat>& result() const { return m_result; }  // the written frames (BGR8)
    const TuneParams& params() const { return m_params; }
    std::string tunedPath() const;
    const LossTerms& lastTerms() const { return m_lastTerms; }
    double tuneSeconds() const { return m_tuneSeconds; }         // the tuning loop's wall time (0 when none ran)
    int64_t trainedNumbers() const { return m_trainedNumbers; }  // the trained tensors' element count

private:
    std::string m_name, m_specKind;
    TuneParams m_params;
    std::shared_ptr<TuneMethod> m_method;
    std::string m_methodSpec;
    std::vector<cv::Mat> m_result;
    LossTerms m_lastTerms;
    double m_tuneSeconds = 0.0;
    int64_t m_trainedNumbers = 0;
    std::string m_summary;
};

}  // namespace waft::engine::tune
