#include "ml/sd/SdModelLoader.h"

#include "io/SafetensorsFile.h"
#include "io/SafetensorsWriter.h"
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
    options.fileNames = [&](const std::string& name) { return sdFileNames(model.layout, model.config, part, name); };
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

Status loadSdParts(torch::nn::Module& text, torch::nn::Module& vae, torch::nn::Module& unet,
                   const SdModelFiles& model) {
    WAFT_RETURN_IF_ERROR(loadSdPart(text, model, SdPart::TextEncoder));
    WAFT_RETURN_IF_ERROR(loadSdPart(vae, model, SdPart::Vae));
    return loadSdPart(unet, model, SdPart::Unet);
}

Status saveSdSingleFile(torch::nn::Module& text, torch::nn::Module& vae, torch::nn::Module& unet,
                        const SdConfig& config, const InflationConfig& inflation, const std::string& path,
                        const std::map<std::string, std::string>& metadata) {
    SafetensorsWriter writer;
    const std::pair<SdPart, torch::nn::Module*> parts[] = {
        {SdPart::Unet, &unet}, {SdPart::Vae, &vae}, {SdPart::TextEncoder, &text}};
    for (const auto& [part, module] : parts)
        for (const auto& p : module->named_parameters()) {
            const std::string name = singleFileName(config, part, p.key());
            if (name.empty())
                return Status::invalid(std::string("no single-file name for ") + sdPartName(part) + " " + p.key());
            const torch::Tensor t = p.value().detach().to(torch::kCPU, torch::kFloat32).contiguous();
            WAFT_RETURN_IF_ERROR(
                writer.addFloat(name, singleFileShape(part, p.key(), t.sizes().vec()), t.data_ptr<float>()));
        }
    for (const auto& [key, value] : metadata) writer.setMetadata(key, value);
    writer.setMetadata("waft_sd_config", sdConfigJson(config));
    if (inflation.temporalAttention)
        writer.setMetadata("waft_self_attention", frameAttentionName(inflation.selfAttention));
    return writer.save(path).withContext(path);
}

}  // namespace waft::engine::sd
