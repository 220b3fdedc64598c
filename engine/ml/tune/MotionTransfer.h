#pragma once
// Motion transfer (Spectral Motion Alignment on a Tune-A-Video fine-tune of the inflated SD 1.x UNet): the
// method the shared fine-tune-then-edit job (ml/tune/VideoTune.h) runs for "Motion transfer…". It trains the
// frame and cross attention's query projections and the temporal attention (Tune-A-Video's set), on
// Tune-A-Video's denoising loss or VMC's residual alignment, plus SMA's global and local terms
// (ml/tune/MotionLosses.h). Engine-internal (pulls in torch).

#include <memory>
#include <string>

#include "core/Status.h"
#include "ml/tune/VideoTune.h"

namespace waft::engine::tune {

class MotionTransferMethod : public TuneMethod {
public:
    explicit MotionTransferMethod(MotionTransferOptions options) : m_options(options) {}
    std::string kind() const override { return "transfer"; }
    sd::InflationConfig inflation() const override { return {m_options.attention, true}; }
    torch::OrderedDict<std::string, torch::Tensor> prepare(sd::SdUNet& unet) override;
    // The base's query projections (the temporal attention is new: it is not the base's).
    uint64_t baseHash(sd::SdUNet& unet, const torch::OrderedDict<std::string, torch::Tensor>& trained) override;
    torch::Tensor loss(const TuneBatch& batch, LossTerms& terms) override;
    std::string optionsJson() const override;
    const MotionTransferOptions& options() const { return m_options; }

private:
    MotionTransferOptions m_options;
};

// Tune-A-Video's trained tensors: attn1.to_q, attn2.to_q and the temporal attention's (attn_temp) of every
// transformer block. norm_temp stays as initialised, as in Tune-A-Video.
bool isTuneAVideoTrained(const std::string& unetTensorName);

}  // namespace waft::engine::tune
