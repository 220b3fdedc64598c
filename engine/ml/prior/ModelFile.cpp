#include "ml/prior/ModelFile.h"

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/Job.h"
#include "core/JsonFields.h"
#include "core/JsonLimits.h"
#include "io/SafetensorsFile.h"
#include "io/SafetensorsWriter.h"
#include "ml/prior/ModelBudget.h"

namespace waft::engine::prior {

namespace {

using Json = nlohmann::json;

Json toJson(const VaeConfig& c) {
    return {{"in_channels", c.inChannels},
            {"latent_channels", c.latentChannels},
            {"channels", c.channels},
            {"groups", c.groups}};
}
Json toJson(const UNetConfig& c) {
    return {{"latent_channels", c.latentChannels},
            {"condition_channels", c.conditionChannels},
            {"model_channels", c.modelChannels},
            {"channel_mults", c.channelMults},
            {"res_blocks_per_level", c.resBlocksPerLevel},
            {"attention_levels", c.attentionLevels},
            {"heads", c.heads},
            {"groups", c.groups},
            {"max_frequencies", c.maxFrequencies},
            {"frequency_attention", c.frequencyAttention},
            {"prediction", c.prediction == Prediction::Velocity ? "v" : "epsilon"}};
}

Status addTensor(SafetensorsWriter& writer, const std::string& name, const torch::Tensor& tensor) {
    const torch::Tensor t = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    return writer.addFloat(name, std::vector<int64_t>(t.sizes().begin(), t.sizes().end()), t.data_ptr<float>());
}

// Reads a named fp32 tensor of `like`'s shape onto `like`'s device.
Expected<torch::Tensor> readTensor(const SafetensorsFile& file, const std::string& name, const torch::Tensor& like,
                                   const std::string& path) {
    auto values = file.readFloat(name, std::vector<int64_t>(like.sizes().begin(), like.sizes().end()));
    if (!values) return values.status().withContext(path);
    return torch::from_blob(values->data(), like.sizes(), torch::kFloat32)
        .to(like.device(), like.scalar_type(), false, true);
}

Status save(torch::nn::Module& module, const std::string& kind, const Json& config, const std::string& path,
            const ModelMetadata& extra) {
    SafetensorsWriter writer;
    const auto add = [&](const std::string& name, const torch::Tensor& tensor) {
        return addTensor(writer, name, tensor);
    };
    for (const auto& p : module.named_parameters()) WAFT_RETURN_IF_ERROR(add(p.key(), p.value()));
    for (const auto& b : module.named_buffers()) WAFT_RETURN_IF_ERROR(add(b.key(), b.value()));
    for (const auto& [key, value] : extra) writer.setMetadata(key, value);
    writer.setMetadata("format", "waft-model");
    writer.setMetadata("kind", kind);
    writer.setMetadata("config", config.dump());
    return writer.save(path).withContext(path);
}

// The model's config as a checked reader: kind and format first, then JsonFields for every field.
Expected<JsonFields> readConfig(const SafetensorsFile& file, const std::string& kind, const std::string& path) {
    const auto& meta = file.metadata();
    const auto format = meta.find("format");
    const auto k = meta.find("kind");
    const auto config = meta.find("config");
    if (format == meta.end() || format->second != "waft-model")
        return Status::corrupt(path + ": a safetensors file but not a Waft model (metadata format != waft-model)");
    if (k == meta.end() || k->second != kind)
        return Status::corrupt(path + ": is a " +
                               (k == meta.end() ? std::string("'?'") : quoteForError(k->second, 40)) +
                               " model, expected '" + kind + "'");
    if (config == meta.end()) return Status::corrupt(path + ": model has no config");
    return JsonFields::parse(config->second, path + ": model config", 64 * 1024, 4);
}

Status load(torch::nn::Module& module, const SafetensorsFile& file, const std::string& path) {
    torch::NoGradGuard noGrad;
    size_t expected = 0;
    const auto fill = [&](const std::string& name, torch::Tensor& target) -> Status {
        ++expected;
        auto values = readTensor(file, name, target, path);
        if (!values) return values.status();
        target.copy_(*values);
        return Status::ok();
    };
    for (auto& p : module.named_parameters()) WAFT_RETURN_IF_ERROR(fill(p.key(), p.value()));
    for (auto& b : module.named_buffers()) WAFT_RETURN_IF_ERROR(fill(b.key(), b.value()));
    if (file.tensors().size() != expected)
        return Status::corrupt(path + ": has " + std::to_string(file.tensors().size()) +
                               " tensors, the model expects " + std::to_string(expected));
    return Status::ok();
}

}  // namespace

Status saveMotionVae(MotionVae& model, const std::string& path, const ModelMetadata& extra) {
    return save(*model, "vae", toJson(model->config), path, extra);
}
Status saveDenoiser(DenoiserUNet& model, const std::string& path, const ModelMetadata& extra) {
    return save(*model, "unet", toJson(model->config), path, extra);
}

Status loadWeightsInto(torch::nn::Module& module, const std::string& path) {
    auto file = SafetensorsFile::open(path);
    if (!file) return file.status();
    torch::NoGradGuard noGrad;
    auto params = module.named_parameters();
    auto buffers = module.named_buffers();
    for (const auto& [name, info] : file->tensors()) {
        torch::Tensor* target = params.find(name);
        if (!target) target = buffers.find(name);
        if (!target)
            return Status::corrupt(path + ": tensor " + quoteForError(name) + " does not belong to this model");
        auto values = readTensor(*file, name, *target, path);
        if (!values) return values.status();
        target->copy_(*values);
    }
    return Status::ok();
}

std::string trainingStatePath(const std::string& modelPath) {
    std::filesystem::path p(modelPath);
    return p.replace_extension(".train-state.safetensors").string();
}

Status saveTrainingState(torch::nn::Module& live, torch::optim::AdamW& optimizer, int step, const std::string& path) {
    SafetensorsWriter writer;
    int64_t adamStep = 0;
    for (const auto& p : live.named_parameters()) {
        WAFT_RETURN_IF_ERROR(addTensor(writer, "weight/" + p.key(), p.value()));
        const auto it = optimizer.state().find(c10::guts::to_string(p.value().unsafeGetTensorImpl()));
        if (it == optimizer.state().end()) continue;
        const auto& s = static_cast<const torch::optim::AdamWParamState&>(*it->second);
        WAFT_RETURN_IF_ERROR(addTensor(writer, "exp_avg/" + p.key(), s.exp_avg()));
        WAFT_RETURN_IF_ERROR(addTensor(writer, "exp_avg_sq/" + p.key(), s.exp_avg_sq()));
        adamStep = std::max(adamStep, s.step());
    }
    writer.setMetadata("format", "waft-training-state");
    writer.setMetadata("step", std::to_string(step));
    writer.setMetadata("adam_step", std::to_string(adamStep));
    return writer.save(path).withContext(path);
}

Expected<int> loadTrainingState(torch::nn::Module& live, torch::optim::AdamW& optimizer, const std::string& path) {
    auto file = SafetensorsFile::open(path);
    if (!file) return file.status();
    const auto format = file->metadata().find("format");
    if (format == file->metadata().end() || format->second != "waft-training-state")
        return Status::corrupt(path + ": not a Waft training state");
    const int step = metadataInt(file->metadata(), "step", -1);
    const int adamStep = metadataInt(file->metadata(), "adam_step", -1);
    if (step < 0 || adamStep < 0) return Status::corrupt(path + ": training state without its step");
    torch::NoGradGuard noGrad;
    for (auto& p : live.named_parameters()) {
        auto weight = readTensor(*file, "weight/" + p.key(), p.value(), path);
        if (!weight) return weight.status();
        p.value().copy_(*weight);
        if (!file->tensors().count("exp_avg/" + p.key())) continue;
        auto avg = readTensor(*file, "exp_avg/" + p.key(), p.value(), path);
        if (!avg) return avg.status();
        auto avgSq = readTensor(*file, "exp_avg_sq/" + p.key(), p.value(), path);
        if (!avgSq) return avgSq.status();
        auto state = std::make_unique<torch::optim::AdamWParamState>();
        state->step(adamStep);
        state->exp_avg(*avg);
        state->exp_avg_sq(*avgSq);
        optimizer.state()[c10::guts::to_string(p.value().unsafeGetTensorImpl())] = std::move(state);
    }
    return step;
}

Expected<ModelMetadata> readModelMetadata(const std::string& path) {
    auto file = SafetensorsFile::openHeader(path);  // the header alone: no tensor is read or mapped
    if (!file) return file.status();
    return file->metadata();
}

static Expected<MotionVae> loadMotionVaeUnguarded(const std::string& path) {
    auto file = SafetensorsFile::open(path);
    if (!file) return file.status();
    auto json = readConfig(*file, "vae", path);
    if (!json) return json.status();
    VaeConfig c;
    c.inChannels = json->integer("in_channels", c.inChannels, 1, 64);
    c.latentChannels = json->integer("latent_channels", c.latentChannels, 1, 64);
    c.channels = json->integers("channels", c.channels, 8, 1, 8192);
    c.groups = json->integer("groups", c.groups, 1, 8192);
    WAFT_RETURN_IF_ERROR(json->status());
    WAFT_RETURN_IF_ERROR(checkVaeConfig(c).withContext(path));  // before anything is allocated
    MotionVae model(c);
    WAFT_RETURN_IF_ERROR(load(*model, *file, path));
    model->eval();
    return model;
}

static Expected<DenoiserUNet> loadDenoiserUnguarded(const std::string& path) {
    auto file = SafetensorsFile::open(path);
    if (!file) return file.status();
    auto json = readConfig(*file, "unet", path);
    if (!json) return json.status();
    UNetConfig c;
    c.latentChannels = json->integer("latent_channels", c.latentChannels, 1, 64);
    c.conditionChannels = json->integer("condition_channels", c.conditionChannels, 0, 64);
    c.modelChannels = json->integer("model_channels", c.modelChannels, 1, 8192);
    c.channelMults = json->integers("channel_mults", c.channelMults, 8, 1, 64);
    c.resBlocksPerLevel = json->integer("res_blocks_per_level", c.resBlocksPerLevel, 1, 8);
    c.attentionLevels = json->integers("attention_levels", c.attentionLevels, 8, 0, 7);
    c.heads = json->integer("heads", c.heads, 1, 64);
    c.groups = json->integer("groups", c.groups, 1, 8192);
    c.maxFrequencies = json->integer("max_frequencies", c.maxFrequencies, 1, 256);
    c.frequencyAttention = json->boolean("frequency_attention", c.frequencyAttention);
    const std::string prediction = json->choice("prediction", "epsilon", {"epsilon", "v"});  // the key came later
    WAFT_RETURN_IF_ERROR(json->status());
    c.prediction = prediction == "v" ? Prediction::Velocity : Prediction::Epsilon;
    WAFT_RETURN_IF_ERROR(checkUNetConfig(c).withContext(path));  // before anything is allocated
    DenoiserUNet model(c);
    WAFT_RETURN_IF_ERROR(load(*model, *file, path));
    model->eval();
    return model;
}

// Loading is guarded: anything LibTorch throws on a file that passed the checks (it should not) is one line.
template <typename Load>
auto guardedLoad(const std::string& path, Load load) -> decltype(load()) {
    try {
        return load();
    } catch (const std::exception& e) {
        return Status::corrupt(path + ": cannot load the model: " + oneLine(e.what()));
    }
}

Expected<MotionVae> loadMotionVae(const std::string& path) {
    return guardedLoad(path, [&]() -> Expected<MotionVae> { return loadMotionVaeUnguarded(path); });
}

Expected<DenoiserUNet> loadDenoiser(const std::string& path) {
    return guardedLoad(path, [&]() -> Expected<DenoiserUNet> { return loadDenoiserUnguarded(path); });
}

std::vector<float> metadataFloats(const ModelMetadata& meta, const std::string& key) {
    const auto it = meta.find(key);
    if (it == meta.end() || !jsonNestingWithin(it->second, 2)) return {};  // a flat list; nesting is hostile
    const Json j = Json::parse(it->second, nullptr, false);
    if (!j.is_array()) return {};
    std::vector<float> out;
    for (const Json& v : j)
        if (v.is_number() && std::isfinite(v.get<float>())) out.push_back(v.get<float>());
    return out;
}

float metadataFloat(const ModelMetadata& meta, const std::string& key, float fallback) {
    const auto it = meta.find(key);
    if (it == meta.end() || !jsonNestingWithin(it->second, 1)) return fallback;
    const Json j = Json::parse(it->second, nullptr, false);
    return j.is_number() && std::isfinite(j.get<float>()) ? j.get<float>() : fallback;
}

int metadataInt(const ModelMetadata& meta, const std::string& key, int fallback) {
    const auto it = meta.find(key);
    if (it == meta.end()) return fallback;
    try {
        return std::stoi(it->second);
    } catch (...) {
        return fallback;
    }
}

}  // namespace waft::engine::prior
