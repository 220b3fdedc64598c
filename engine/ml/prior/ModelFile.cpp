#include "ml/prior/ModelFile.h"

#include <limits>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/Job.h"
#include "core/JsonLimits.h"
#include "io/SafetensorsFile.h"
#include "io/SafetensorsWriter.h"
#include "ml/common/WeightLoader.h"
#include "ml/prior/ModelConfigFile.h"

namespace waft::engine::prior {

namespace {

using Json = nlohmann::json;

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

}  // namespace

Status saveModel(torch::nn::Module& module, const std::string& kind, const std::string& config, const std::string& path,
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
    writer.setMetadata("config", config);
    return writer.save(path).withContext(path);
}

namespace {

Status load(torch::nn::Module& module, const SafetensorsFile& file, const std::string& path) {
    return ml::loadWeights(module, file, path).status();
}

}  // namespace

Status saveMotionVae(MotionVae& model, const std::string& path, const ModelMetadata& extra) {
    return saveModel(*model, "vae", configJson(model->config), path, extra);
}
Status saveDenoiser(DenoiserUNet& model, const std::string& path, const ModelMetadata& extra) {
    return saveModel(*model, "unet", configJson(model->config), path, extra);
}

Status loadWeightsInto(torch::nn::Module& module, const std::string& path) {
    auto file = SafetensorsFile::open(path);
    if (!file) return file.status();
    ml::WeightLoadOptions options;
    options.requireAll = false;  // the module may have more (stage 2's new layers)
    return ml::loadWeights(module, *file, path, options).status();
}

std::string trainingStatePath(const std::string& modelPath) {
    std::filesystem::path p(modelPath);
    return p.replace_extension(".train-state.safetensors").string();
}

Status saveTrainingState(torch::nn::Module& live, torch::optim::AdamW& optimizer, int step, const std::string& path,
                         int worldSize) {
    return saveTrainingState(live.named_parameters(), optimizer, step, path, worldSize);
}

Expected<int> loadTrainingState(torch::nn::Module& live, torch::optim::AdamW& optimizer, const std::string& path) {
    return loadTrainingState(live.named_parameters(), optimizer, path);
}

Status saveTrainingState(const torch::OrderedDict<std::string, torch::Tensor>& live, torch::optim::AdamW& optimizer,
                         int step, const std::string& path, int worldSize) {
    SafetensorsWriter writer;
    int64_t adamStep = 0;
    for (const auto& p : live) {
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
    writer.setMetadata("world_size", std::to_string(worldSize));
    return writer.save(path).withContext(path);
}

Expected<int> loadTrainingState(const torch::OrderedDict<std::string, torch::Tensor>& live,
                                torch::optim::AdamW& optimizer, const std::string& path) {
    auto file = SafetensorsFile::open(path);
    if (!file) return file.status();
    const auto format = file->metadata().find("format");
    if (format == file->metadata().end() || format->second != "waft-training-state")
        return Status::corrupt(path + ": not a Waft training state");
    const int step = metadataInt(file->metadata(), "step", -1);
    const int adamStep = metadataInt(file->metadata(), "adam_step", -1);
    if (step < 0 || adamStep < 0) return Status::corrupt(path + ": training state without its step");
    torch::NoGradGuard noGrad;
    for (const auto& p : live) {
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
    auto config = readVaeConfig(file->metadata(), path);  // checked before anything is allocated
    if (!config) return config.status();
    MotionVae model(*config);
    WAFT_RETURN_IF_ERROR(load(*model, *file, path));
    model->eval();
    return model;
}

static Expected<DenoiserUNet> loadDenoiserUnguarded(const std::string& path) {
    auto file = SafetensorsFile::open(path);
    if (!file) return file.status();
    auto config = readUNetConfig(file->metadata(), path);  // checked before anything is allocated
    if (!config) return config.status();
    DenoiserUNet model(*config);
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

int64_t metadataInt64(const ModelMetadata& meta, const std::string& key, int64_t fallback) {
    const auto it = meta.find(key);
    if (it == meta.end()) return fallback;
    try {
        return std::stoll(it->second);
    } catch (...) {
        return fallback;
    }
}

int metadataInt(const ModelMetadata& meta, const std::string& key, int fallback) {
    const int64_t value = metadataInt64(meta, key, fallback);
    return value < std::numeric_limits<int>::min() || value > std::numeric_limits<int>::max() ? fallback : int(value);
}

}  // namespace waft::engine::prior
