#pragma once
// Training pieces of the motion prior (GID §7): losses, an EMA of the weights, and one optimisation step of
// each model. Engine-internal (pulls in torch). The commands that feed them data live in the CLI.

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>

#include "ml/prior/Compute.h"
#include "ml/prior/DdimSampler.h"
#include "ml/prior/MotionModels.h"

namespace waft::engine::dist {
class Communicator;
}

namespace waft::engine::prior {

// Mean L1 of the x and y finite differences of a and b [N, C, H, W] at scales 1, 2 and 4 (average-pooled; scales
// the image is too small for are skipped): the structural term of the VAE's and the renderer's losses.
torch::Tensor multiScaleGradientL1(const torch::Tensor& a, const torch::Tensor& b);

// GID §7 VAE loss: L1 reconstruction + 0.2 * multi-scale gradient L1 (scales 1, 2, 4) + 1e-6 * KL to N(0, I).
struct VaeLoss {
    torch::Tensor total, l1, gradient, kl;
};
VaeLoss vaeLoss(const torch::Tensor& reconstruction, const torch::Tensor& target, const torch::Tensor& mean,
                const torch::Tensor& logvar, float gradientWeight = 0.2f, float klWeight = 1e-6f);

// Exponential moving average of a module's parameters: shadow = d * shadow + (1 - d) * current, with the usual
// warm-up d = min(decay, (1 + n) / (10 + n)) after n updates, so short runs do not save a near-initial model.
class EmaWeights {
public:
    EmaWeights(torch::nn::Module& module, float decay);
    void update(torch::nn::Module& module);
    void copyTo(torch::nn::Module& module) const;  // e.g. into a second instance used for sampling
    const std::map<std::string, torch::Tensor>& shadow() const { return m_shadow; }
    void setUpdates(int updates) { m_updates = updates; }  // a resumed run continues the warm-up where it was

private:
    float m_decay;
    int m_updates = 0;
    std::map<std::string, torch::Tensor> m_shadow;
};

struct TrainParams {
    float learningRate = 1e-4f;
    float weightDecay = 0.01f;
    float emaDecay = 0.999f;
    float conditionDropout = 0.1f;  // CFG: the condition is zeroed for this fraction of samples
    unsigned long seed = 0;
    Compute compute;  // the model must already be on compute.device; batches are moved there
    // Data parallel (null: one process). A step's batch is this rank's shard of the global batch: its random
    // numbers are the global batch's (drawn whole, this rank's rows kept), its gradients and loss are averaged
    // over the ranks before the optimiser steps, so N ranks of B equal one process of N x B.
    dist::Communicator* communicator = nullptr;
};

// One AdamW step of the VAE on a batch of normalised frequency slices [N, 4, H, W] (reparameterised sample).
class VaeTrainer {
public:
    VaeTrainer(MotionVae model, TrainParams params);
    Expected<VaeLoss> step(const torch::Tensor& slices);  // moved to the compute device here
    MotionVae& model() { return m_model; }
    EmaWeights& ema() { return m_ema; }
    torch::optim::AdamW& optimizer() { return m_optimizer; }
    void setStepIndex(int64_t step) { m_step = step; }  // a resumed run's random numbers continue from here

private:
    MotionVae m_model;
    TrainParams m_params;
    torch::optim::AdamW m_optimizer;
    EmaWeights m_ema;
    torch::Generator m_generator;
    int64_t m_step = 0;
};

// One AdamW step of the denoiser: latents [B, K, C, h, w] of normalised spectral volumes, conditions
// [B, Cc, h, w]; noise at uniform timesteps, MSE to the config's prediction target (epsilon or v), CFG
// condition dropout. Stage 1 trains
// every parameter; stage 2 (GID §4.2) freezes the UNet and trains only the frequency-attention layers.
class DenoiserTrainer {
public:
    DenoiserTrainer(DenoiserUNet model, TrainParams params, int stage);
    Expected<torch::Tensor> step(const torch::Tensor& latents, const torch::Tensor& conditions);
    DenoiserUNet& model() { return m_model; }
    EmaWeights& ema() { return m_ema; }
    torch::optim::AdamW& optimizer() { return *m_optimizer; }
    void setStepIndex(int64_t step) { m_step = step; }

private:
    DenoiserUNet m_model;
    TrainParams m_params;
    NoiseSchedule m_schedule;
    std::unique_ptr<torch::optim::AdamW> m_optimizer;
    EmaWeights m_ema;
    torch::Generator m_generator;
    int64_t m_step = 0;
};

}  // namespace waft::engine::prior
