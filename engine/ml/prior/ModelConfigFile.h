#pragma once
// A motion-prior model file's config, read and checked from its metadata alone (torch-free): the file is
// untrusted, so its kind, format and every field are checked, then the architecture and its cost
// (ModelBudget), before any module is built. ModelFile builds and fills the modules from these configs.

#include <map>
#include <string>

#include "core/JsonFields.h"
#include "core/Status.h"
#include "ml/prior/PriorConfig.h"

namespace waft::engine::prior {

using ModelMetadata = std::map<std::string, std::string>;

// A model file's config as a checked reader (format "waft-model" and `kind` checked first, then the config text
// size- and depth-capped), for every model kind's config reader.
Expected<JsonFields> readModelConfigFields(const ModelMetadata& metadata, const std::string& kind,
                                           const std::string& path);

// The config JSON written into a model file's metadata ("config"), next to format "waft-model" and the kind.
std::string configJson(const VaeConfig& config);
std::string configJson(const UNetConfig& config);

// The config of a "vae" / "unet" model file from its metadata: the format and kind must match, every field is
// range-checked (JsonFields), then checkVaeConfig / checkUNetConfig. `path` names the file in the one-line error.
Expected<VaeConfig> readVaeConfig(const ModelMetadata& metadata, const std::string& path);
Expected<UNetConfig> readUNetConfig(const ModelMetadata& metadata, const std::string& path);

}  // namespace waft::engine::prior
