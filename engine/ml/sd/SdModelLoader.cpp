#include "ml/sd/SdModelLoader.h"

#include "io/SafetensorsFile.h"
#include "ml/common/WeightLoader.h"
#include "ml/sd/SdNames.h"

namespace waft::engine::sd {

Status loadSdPart(torch::nn::Module& module, const SdModelFiles& model, SdPart part) {
    const auto it = model.parts.find(part);
    if (it == model.parts.end()) return Status::invalid(model.root + ": has no " + sdPartName(part));
    const std::string& path = it->second.path;
    auto file = SafetensorsFile::open(path);
    if (!file) return file.status();
    const bool single = model.layout == SdLayout::SingleFile;
    ml::WeightLoadOptions options;
    options.fileNames = [&](const std::string& name) -> std::vector<std::string> {
        if (single) return {singleFileName(model.config, part, name)};
        std::vector<std::string> names{name};
        if (std::string legacy = legacyDiffusersName(part, name); !legacy.empty()) names.push_back(std::move(legacy));
        return names;
    };
    // A single file's other parts are not this module's; temporal layers are new in an inflated UNet.
    const std::string prefix = singleFilePrefix(part);
    options.inScope = [&](const std::string& name) { return !single || name.compare(0, prefix.size(), prefix) == 0; };
    options.ignorable = isIgnorableSingleFileTensor;
    options.requireAll = false;
    auto report = ml::loadWeights(module, *file, path, options);
    if (!report) return report.status();
    if (report->tensors != it->second.tensors)
        return Status::corrupt(path + ": loaded " + std::to_string(report->tensors) + " " + sdPartName(part) +
                               " tensors, the model has " + std::to_string(it->second.tensors));
    return Status::ok();
}

}  // namespace waft::engine::sd
