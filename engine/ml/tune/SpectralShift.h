#pragma once
// SAVE (spectral-shift-aware adaptation) as a method of the fine-tune-then-edit job (ml/tune/VideoTune.h): each
// query projection W^Q of the frame and cross attention is factored once, W = U Σ Vᵀ (fp32, cached per base model),
// U and V stay frozen, and only δ trains: Ŵ = U diag(ReLU(σ + δ)) Vᵀ. Ŵ is rebuilt once per step on the device
// (refresh), from U, σ, V that live there; only the trained projections are rebuilt. Loss: denoising MSE +
// λ Σ δᵢᵀ diag(σᵢ) δᵢ, each δᵢ paired with its own σᵢ by layer name. Engine-internal (pulls in torch).

#include <string>

#include "ml/tune/VideoTune.h"

namespace waft::engine::tune {

// One query projection's factors: W [out, in] = U [out, k] diag(sigma [k]) Vh [k, in], k = min(out, in).
struct SpectralFactors {
    torch::Tensor u, sigma, vh;
};

// The factors of `weight` (fp32 SVD), from the process's cache when this exact matrix (by content hash) was
// factored before; `cached` says which.
SpectralFactors spectralFactors(const torch::Tensor& weight, bool* cached = nullptr);
size_t spectralCacheSize();
void clearSpectralCache();

// Ŵ = U diag(ReLU(σ + δ)) Vh.
torch::Tensor shiftedWeight(const SpectralFactors& f, const torch::Tensor& delta);
// δᵀ diag(σ) δ of one layer (SAVE's regulariser is its sum over the shifted layers, each δ with its own σ).
torch::Tensor spectralRegulariser(const SpectralFactors& factors, const torch::Tensor& delta);

// The names of the query projections SAVE shifts: "...attn1.to_q" and "...attn2.to_q" (not the temporal ones).
bool isSaveQuery(const std::string& linearModuleName);

class SpectralShiftMethod : public TuneMethod {
public:
    explicit SpectralShiftMethod(EditOptions options) : m_options(options) {}
    std::string kind() const override { return "edit"; }
    sd::InflationConfig inflation() const override { return {m_options.attention, true}; }
    torch::OrderedDict<std::string, torch::Tensor> prepare(sd::SdUNet& unet) override;
    uint64_t baseHash(sd::SdUNet& unet, const torch::OrderedDict<std::string, torch::Tensor>& trained) override;
    void refresh(sd::SdUNet& unet) override;
    torch::Tensor loss(const TuneBatch& batch, LossTerms& terms) override;
    bool invertWithSourcePrompt() const override { return true; }
    std::string optionsJson() const override;
    const EditOptions& options() const { return m_options; }
    // Trained numbers (δ's, plus the temporal attention's or the full W^Q when those train).
    int64_t trainedNumbers() const { return m_trainedNumbers; }

private:
    struct Query {
        std::string
            name;  // the linear module's path, e.g. "down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q"
        torch::nn::Linear linear{nullptr};
        SpectralFactors factors;
        torch::Tensor delta;
        torch::Tensor original;  // the base's W (its registered parameter)
    };
    EditOptions m_options;
    std::vector<Query> m_queries;
    int64_t m_trainedNumbers = 0;
};

}  // namespace waft::engine::tune
