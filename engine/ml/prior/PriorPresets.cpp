#include "ml/prior/PriorPresets.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace waft::engine::prior {

bool parseComputeDevice(const std::string& name, ComputeDevice& out) {
    if (name == "auto")
        out = ComputeDevice::Auto;
    else if (name == "cpu")
        out = ComputeDevice::Cpu;
    else if (name == "cuda")
        out = ComputeDevice::Cuda;
    else
        return false;
    return true;
}

bool parsePrecision(const std::string& name, Precision& out) {
    if (name == "auto")
        out = Precision::Auto;
    else if (name == "fp32")
        out = Precision::Fp32;
    else if (name == "bf16")
        out = Precision::Bf16;
    else if (name == "fp16")
        out = Precision::Fp16;
    else
        return false;
    return true;
}

bool parseModelPreset(const std::string& name, ModelPreset& out) {
    if (name == "tiny")
        out = ModelPreset::Tiny;
    else if (name == "paper")
        out = ModelPreset::Paper;
    else
        return false;
    return true;
}

VaeConfig vaePreset(ModelPreset preset) {
    VaeConfig c;
    if (preset == ModelPreset::Tiny) {
        c.channels = {16, 32};
        c.groups = 8;
    }
    return c;
}

UNetConfig unetPreset(ModelPreset preset, int bands) {
    UNetConfig c;
    c.conditionChannels = 3;  // the reference image, downsampled to the latent size
    c.maxFrequencies = std::max(1, bands);
    if (preset == ModelPreset::Tiny) {
        c.modelChannels = 32;
        c.channelMults = {1, 2};
        c.resBlocksPerLevel = 1;
        c.attentionLevels = {1};
        c.heads = 4;
        c.groups = 8;
    }
    return c;
}

namespace {
const char* presetName(ModelPreset p) { return p == ModelPreset::Tiny ? "tiny" : "paper"; }
}  // namespace

const char* computeDeviceName(ComputeDevice d) {
    return d == ComputeDevice::Cpu ? "cpu" : d == ComputeDevice::Cuda ? "cuda" : "auto";
}

const char* precisionName(Precision p) {
    return p == Precision::Fp32 ? "fp32" : p == Precision::Bf16 ? "bf16" : p == Precision::Fp16 ? "fp16" : "auto";
}

std::string trainingRunToJson(const TrainingRunParams& p) {
    const nlohmann::json j = {{"preset", presetName(p.preset)},
                              {"steps", p.steps},
                              {"batch", p.batch},
                              {"learning_rate", p.learningRate},
                              {"checkpoint_every", p.checkpointEvery},
                              {"seed", p.seed},
                              {"width", p.width},
                              {"height", p.height},
                              {"device", computeDeviceName(p.compute.device)},
                              {"precision", precisionName(p.compute.precision)}};
    return j.dump();
}

TrainingRunParams trainingRunFromJson(JsonFields& f) {
    TrainingRunParams p;
    parseModelPreset(f.choice("preset", "paper", {"tiny", "paper"}), p.preset);
    // The CLI's ranges (app/cli/CmdPrior.cpp).
    p.steps = f.integer("steps", p.steps, 1, 10000000);
    p.batch = f.integer("batch", p.batch, 1, 4096);
    p.learningRate = float(f.real("learning_rate", p.learningRate, double(1e-8f), 1.0));  // the CLI's float bounds
    p.checkpointEvery = f.integer("checkpoint_every", p.checkpointEvery, 0, 10000000);
    p.seed = (unsigned long)f.integer("seed", 0, 0, 1 << 30);
    p.width = f.integer("width", p.width, 8, 4096);
    p.height = f.integer("height", p.height, 8, 4096);
    parseComputeDevice(f.choice("device", "auto", {"auto", "cpu", "cuda"}), p.compute.device);
    parsePrecision(f.choice("precision", "auto", {"auto", "fp32", "bf16", "fp16"}), p.compute.precision);
    p.resume = true;
    return p;
}

}  // namespace waft::engine::prior
