#pragma once

#include <string>
#include <vector>

namespace waft::engine::prior {

// Sizes of the motion prior (GID §4, §7). Paper sizes are the defaults; tests use tiny ones. Torch-free so
// configs can be parsed, saved and shown anywhere.
struct VaeConfig {
    int inChannels = 4;                           // one frequency slice: (Re x, Im x, Re y, Im y)
    int latentChannels = 4;                       // GID: continuous 4-channel latent
    std::vector<int> channels = {128, 256, 512};  // per level; each level after the first halves the size
    int groups = 32;                              // GroupNorm groups (must divide every channel count)
};

// What the denoiser's output is trained to be. Epsilon (LDM, GID) weights a clean-sample error at noise
// level t by SNR(t), next to nothing at high noise, where the image condition decides the layout of the motion;
// velocity v = sqrt(abar) eps - sqrt(1 - abar) x0 (Salimans & Ho 2022) weights it by SNR(t) + 1. Measured on the
// procedural benchmark (docs/BENCHMARKS.md), v learns the condition where epsilon does not; both sample alike.
enum class Prediction { Epsilon, Velocity };

struct UNetConfig {
    int latentChannels = 4;
    int conditionChannels = 4;  // the reference image's latent (or a downsampled image: 3)
    int modelChannels = 128;
    std::vector<int> channelMults = {1, 2, 4};
    int resBlocksPerLevel = 2;
    std::vector<int> attentionLevels = {1, 2};  // levels with spatial attention
    int heads = 8;
    int groups = 32;
    int maxFrequencies = 16;          // K: size of the frequency-index embedding
    bool frequencyAttention = false;  // GID §4.2 stage 2: attention across the K slices after each spatial block
    Prediction prediction = Prediction::Velocity;  // files without the key are epsilon models
};

// Where the prior trains and samples, and in what precision. Auto: CUDA when LibTorch has a device, else the
// CPU; bf16 autocast on CUDA, fp32 on the CPU. Weights stay fp32 (autocast casts per operation), files are fp32.
enum class ComputeDevice { Auto, Cpu, Cuda };
enum class Precision { Auto, Fp32, Bf16, Fp16 };
struct ComputeOptions {
    ComputeDevice device = ComputeDevice::Auto;
    Precision precision = Precision::Auto;
};
bool parseComputeDevice(const std::string& name, ComputeDevice& out);
bool parsePrecision(const std::string& name, Precision& out);
const char* computeDeviceName(ComputeDevice device);  // what parseComputeDevice reads back
const char* precisionName(Precision precision);

struct SamplerParams {
    int steps = 250;              // DDIM steps (of the 1000-step training schedule)
    float eta = 0.0f;             // 0: deterministic DDIM
    float guidance = 1.75f;       // CFG weight w: eps = eps_c + w (eps_c - eps_u); 0 = purely conditional
    float selfGuidance = 200.0f;  // u of GID eq. 5 (0 disables motion self-guidance)
    int recurrences = 2;          // self-recurrence steps per denoising step
    unsigned long seed = 0;
};

}  // namespace waft::engine::prior
