#include "ml/prior/ModelConfigFile.h"

#include <nlohmann/json.hpp>

#include "core/JsonFields.h"
#include "core/JsonLimits.h"
#include "ml/prior/ModelBudget.h"

namespace waft::engine::prior {

using Json = nlohmann::json;

Expected<JsonFields> readModelConfigFields(const ModelMetadata& meta, const std::string& kind,
                                           const std::string& path) {
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

std::string configJson(const VaeConfig& c) {
    const Json j = {{"in_channels", c.inChannels},
                    {"latent_channels", c.latentChannels},
                    {"channels", c.channels},
                    {"groups", c.groups}};
    return j.dump();
}

std::string configJson(const UNetConfig& c) {
    const Json j = {{"latent_channels", c.latentChannels},
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
    return j.dump();
}

Expected<VaeConfig> readVaeConfig(const ModelMetadata& metadata, const std::string& path) {
    auto json = readModelConfigFields(metadata, "vae", path);
    if (!json) return json.status();
    VaeConfig c;
    c.inChannels = json->integer("in_channels", c.inChannels, 1, 64);
    c.latentChannels = json->integer("latent_channels", c.latentChannels, 1, 64);
    c.channels = json->integers("channels", c.channels, 8, 1, 8192);
    c.groups = json->integer("groups", c.groups, 1, 8192);
    WAFT_RETURN_IF_ERROR(json->status());
    WAFT_RETURN_IF_ERROR(checkVaeConfig(c).withContext(path));
    return c;
}

Expected<UNetConfig> readUNetConfig(const ModelMetadata& metadata, const std::string& path) {
    auto json = readModelConfigFields(metadata, "unet", path);
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
    WAFT_RETURN_IF_ERROR(checkUNetConfig(c).withContext(path));
    return c;
}

}  // namespace waft::engine::prior
