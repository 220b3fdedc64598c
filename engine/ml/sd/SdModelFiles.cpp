#include "ml/sd/SdModelFiles.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "core/JsonFields.h"
#include "core/JsonLimits.h"
#include "io/SafetensorsFile.h"
#include "ml/sd/SdNames.h"

namespace fs = std::filesystem;

namespace waft::engine::sd {

namespace {

constexpr size_t kMaxConfigBytes = 256 * 1024;

bool startsWith(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

Expected<std::string> readSmallFile(const fs::path& p) {
    std::error_code ec;
    const auto size = fs::file_size(p, ec);
    if (ec) return Status::io(p.string() + ": cannot read");
    if (size > kMaxConfigBytes)
        return Status::corrupt(p.string() + ": larger than " + std::to_string(kMaxConfigBytes) + " bytes");
    std::ifstream in(p, std::ios::binary);
    std::string text(size_t(size), '\0');
    in.read(text.data(), std::streamsize(size));
    if (!in) return Status::io(p.string() + ": cannot read");
    return text;
}

// diffusers' config.json fields (the ones SD 1.x's architecture depends on), range-checked.
void readUNetConfig(JsonFields& j, SdUNetConfig& c) {
    c.inChannels = j.integer("in_channels", c.inChannels, 1, 64);
    c.outChannels = j.integer("out_channels", c.outChannels, 1, 64);
    c.channels = j.integers("block_out_channels", c.channels, 8, 8, 4096);
    c.layersPerBlock = j.integer("layers_per_block", c.layersPerBlock, 1, 8);
    c.crossAttentionDim = j.integer("cross_attention_dim", c.crossAttentionDim, 1, 4096);
    c.heads = j.integer("attention_head_dim", c.heads, 1, 64);  // SD 1.x: a head count
    c.groups = j.integer("norm_num_groups", c.groups, 1, 4096);
    const auto types = j.choices("down_block_types", {}, 8, {"CrossAttnDownBlock2D", "DownBlock2D"});
    if (!types.empty()) {
        c.crossAttention.clear();
        for (const std::string& t : types) c.crossAttention.push_back(t == "CrossAttnDownBlock2D");
    }
}

void readVaeConfig(JsonFields& j, VaeKlConfig& c) {
    c.imageChannels = j.integer("in_channels", c.imageChannels, 1, 16);
    c.latentChannels = j.integer("latent_channels", c.latentChannels, 1, 64);
    c.channels = j.integers("block_out_channels", c.channels, 8, 8, 4096);
    c.layersPerBlock = j.integer("layers_per_block", c.layersPerBlock, 1, 8);
    c.groups = j.integer("norm_num_groups", c.groups, 1, 4096);
    c.scalingFactor = float(j.real("scaling_factor", c.scalingFactor, 1e-4, 100.0));
}

void readTextConfig(JsonFields& j, ClipTextConfig& c) {
    c.vocabSize = j.integer("vocab_size", c.vocabSize, 1, 1 << 20);
    c.contextLength = j.integer("max_position_embeddings", c.contextLength, 2, 4096);
    c.width = j.integer("hidden_size", c.width, 8, 8192);
    c.layers = j.integer("num_hidden_layers", c.layers, 1, 64);
    c.heads = j.integer("num_attention_heads", c.heads, 1, 128);
    c.intermediate = j.integer("intermediate_size", c.intermediate, 8, 32768);
    (void)j.choice("hidden_act", "quick_gelu", {"quick_gelu"});
}

// What the architecture needs beyond each value's range.
Status checkConfig(const SdConfig& c, const std::string& where) {
    const auto divides = [](int groups, int channels) { return groups > 0 && channels % groups == 0; };
    if (c.unet.channels.empty() || c.vae.channels.empty())
        return Status::corrupt(where + ": " + (c.unet.channels.empty() ? "unet" : "vae") +
                               " config has no levels (block_out_channels is empty)");
    // The parts must fit each other: the UNet denoises the VAE's latents and attends to the text tower's states.
    if (c.unet.inChannels != c.vae.latentChannels || c.unet.outChannels != c.vae.latentChannels)
        return Status::corrupt(where + ": the unet takes " + std::to_string(c.unet.inChannels) + " and gives " +
                               std::to_string(c.unet.outChannels) + " channels, the vae's latents have " +
                               std::to_string(c.vae.latentChannels));
    if (c.unet.crossAttentionDim != c.text.width)
        return Status::corrupt(where + ": the unet attends to " + std::to_string(c.unet.crossAttentionDim) +
                               "-wide text states, the text encoder is " + std::to_string(c.text.width) + " wide");
    if (c.unet.crossAttention.size() != c.unet.channels.size())
        return Status::corrupt(where + ": unet has " + std::to_string(c.unet.channels.size()) + " levels but " +
                               std::to_string(c.unet.crossAttention.size()) + " down block types");
    for (int ch : c.unet.channels)
        if (!divides(c.unet.groups, ch) || ch % c.unet.heads != 0)
            return Status::corrupt(where + ": unet width " + std::to_string(ch) + " is not divisible by its " +
                                   std::to_string(c.unet.groups) + " groups and " + std::to_string(c.unet.heads) +
                                   " heads");
    for (int ch : c.vae.channels)
        if (!divides(c.vae.groups, ch))
            return Status::corrupt(where + ": vae width " + std::to_string(ch) + " is not divisible by its groups");
    if (c.text.width % c.text.heads != 0)
        return Status::corrupt(where + ": text encoder width is not divisible by its heads");
    for (SdPart part : {SdPart::Unet, SdPart::Vae, SdPart::TextEncoder}) {
        const int64_t n = parameterCount(partTensors(c, part));
        if (n < 0 || n > kMaxSdParameters)
            return Status::corrupt(where + ": " + sdPartName(part) + " config asks for too many parameters");
    }
    return Status::ok();
}

std::string dtypeOf(const std::set<std::string>& seen) {
    return seen.size() == 1 ? *seen.begin() : seen.empty() ? "-" : "mixed";
}

// The name `layout` gives a diffusers tensor of `part` (the first of sdFileNames).
std::string nameIn(SdLayout layout, const SdConfig& config, SdPart part, const std::string& name) {
    return sdFileNames(layout, config, part, name).front();
}

// Whether the file holds an inflated UNet's temporal layers (checked completely with the rest).
bool hasTemporal(const SafetensorsFile& file, const SdConfig& config, SdLayout layout) {
    const auto temporal = temporalTensors(config.unet);
    return !temporal.empty() && file.find(nameIn(layout, config, SdPart::Unet, temporal.front().name)) != nullptr;
}

// Checks one part's expected tensors in `file` by name (sdFileNames), shape and dtype; marks them taken.
Status checkPart(const SafetensorsFile& file, const std::string& path, const SdConfig& config, SdPart part,
                 SdLayout layout, SdPartFile& out, std::set<std::string>& taken, bool temporal) {
    std::set<std::string> dtypes;
    std::vector<TensorSpec> expected = partTensors(config, part);
    if (part == SdPart::Unet && temporal)
        for (TensorSpec& t : temporalTensors(config.unet)) expected.push_back(std::move(t));
    for (const TensorSpec& t : expected) {
        const std::vector<std::string> names = sdFileNames(layout, config, part, t.name);
        const TensorInfo* info = nullptr;
        std::string found;
        for (const std::string& n : names)
            if ((info = file.find(n))) {
                found = n;
                break;
            }
        if (!info)
            return Status::corrupt(path + ": " + sdPartName(part) + " tensor " + quoteForError(names.front()) +
                                   " is missing");
        std::vector<int64_t> want = t.shape, alt = singleFileShape(part, t.name, t.shape);
        if (info->shape != want && info->shape != alt) {
            std::string shape;
            for (int64_t d : info->shape) shape += (shape.empty() ? "" : ", ") + std::to_string(d);
            return Status::corrupt(path + ": tensor " + quoteForError(found) + " has shape [" + shape +
                                   "], this model's config expects another");
        }
        if (info->dtype != DType::F32 && info->dtype != DType::F16 && info->dtype != DType::BF16)
            return Status::corrupt(path + ": tensor " + quoteForError(found) + " is " + dtypeName(info->dtype) +
                                   ", not F32, F16 or BF16");
        dtypes.insert(dtypeName(info->dtype));
        taken.insert(found);
        ++out.tensors;
        out.parameters += info->numel();
    }
    out.path = path;
    out.dtype = dtypeOf(dtypes);
    return Status::ok();
}

Expected<std::string> partFile(const fs::path& dir, const std::string& part) {
    const fs::path folder = dir / part;
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) return Status::corrupt(dir.string() + ": diffusers folder has no " + part + "/");
    const char* preferred[] = {"diffusion_pytorch_model.safetensors", "model.safetensors",
                               "diffusion_pytorch_model.fp16.safetensors", "model.fp16.safetensors"};
    for (const char* name : preferred)
        if (fs::is_regular_file(folder / name, ec)) return (folder / name).string();
    for (const char* pickle : {"diffusion_pytorch_model.bin", "pytorch_model.bin"})
        if (fs::is_regular_file(folder / pickle, ec))
            return Status::invalid((folder / pickle).string() +
                                   ": a pickle file, which Waft never loads (it can run code); use the "
                                   "part's .safetensors file");
    return Status::corrupt(folder.string() + ": no .safetensors weights in it");
}

}  // namespace

std::vector<std::string> sdFileNames(SdLayout layout, const SdConfig& config, SdPart part, const std::string& name) {
    if (layout == SdLayout::SingleFile) return {singleFileName(config, part, name)};
    std::vector<std::string> names{name};
    if (std::string legacy = legacyDiffusersName(part, name); !legacy.empty()) names.push_back(std::move(legacy));
    return names;
}

bool isIgnorableSingleFileTensor(const std::string& name) {
    static const std::set<std::string> schedule = {"betas",
                                                   "alphas_cumprod",
                                                   "alphas_cumprod_prev",
                                                   "sqrt_alphas_cumprod",
                                                   "sqrt_one_minus_alphas_cumprod",
                                                   "log_one_minus_alphas_cumprod",
                                                   "sqrt_recip_alphas_cumprod",
                                                   "sqrt_recipm1_alphas_cumprod",
                                                   "posterior_variance",
                                                   "posterior_log_variance_clipped",
                                                   "posterior_mean_coef1",
                                                   "posterior_mean_coef2"};
    return schedule.count(name) > 0 || startsWith(name, "model_ema.") ||
           name == "cond_stage_model.transformer.text_model.embeddings.position_ids" ||
           name == "text_model.embeddings.position_ids";
}

Expected<SdModelFiles> openSdModel(const std::string& path) {
    SdModelFiles model;
    model.root = path;
    std::error_code ec;
    const fs::path p(path);
    const std::string ext = p.extension().string();
    if (ext == ".ckpt" || ext == ".bin" || ext == ".pt" || ext == ".pth")
        return Status::invalid(path +
                               ": a pickle checkpoint, which Waft never loads (it can run code); use the "
                               "model's .safetensors file (the same weights, converted once)");
    if (fs::is_directory(p, ec)) {
        if (!fs::is_regular_file(p / "model_index.json", ec))
            return Status::corrupt(path + ": a folder without model_index.json (not a diffusers model)");
        model.layout = SdLayout::Diffusers;
        const std::pair<SdPart, const char*> parts[] = {
            {SdPart::Unet, "unet"}, {SdPart::Vae, "vae"}, {SdPart::TextEncoder, "text_encoder"}};
        for (const auto& [part, folder] : parts) {
            const fs::path configPath = p / folder / "config.json";
            if (fs::is_regular_file(configPath, ec)) {
                auto text = readSmallFile(configPath);
                if (!text) return text.status();
                auto json = JsonFields::parse(*text, configPath.string(), kMaxConfigBytes, 8);
                if (!json) return json.status();
                if (part == SdPart::Unet) readUNetConfig(*json, model.config.unet);
                if (part == SdPart::Vae) readVaeConfig(*json, model.config.vae);
                if (part == SdPart::TextEncoder) readTextConfig(*json, model.config.text);
                WAFT_RETURN_IF_ERROR(json->status());
            }
        }
        WAFT_RETURN_IF_ERROR(checkConfig(model.config, path));
        for (const auto& [part, folder] : parts) {
            auto file = partFile(p, folder);
            if (!file) return file.status();
            auto st = SafetensorsFile::openHeader(*file);
            if (!st) return st.status();
            std::set<std::string> taken;
            SdPartFile& out = model.parts[part];
            if (part == SdPart::Unet) model.temporal = hasTemporal(*st, model.config, model.layout);
            WAFT_RETURN_IF_ERROR(checkPart(*st, *file, model.config, part, model.layout, out, taken, model.temporal));
            for (const auto& [name, info] : st->tensors())
                if (!taken.count(name)) {
                    if (isIgnorableSingleFileTensor(name)) {
                        ++model.ignoredTensors;
                        continue;
                    }
                    return Status::corrupt(*file + ": tensor " + quoteForError(name) + " does not belong to the " +
                                           sdPartName(part));
                }
        }
        return model;
    }
    if (!fs::is_regular_file(p, ec)) return Status::io(path + ": no such file or folder");
    model.layout = SdLayout::SingleFile;
    auto st = SafetensorsFile::openHeader(path);
    if (!st) return st.status();
    if (const auto it = st->metadata().find("waft_sd_config"); it != st->metadata().end()) {
        // Waft's own checkpoints (and the tests' tiny ones) say their sizes, in diffusers' config keys per part.
        auto json = JsonFields::parse(it->second, path + ": waft_sd_config", kMaxConfigBytes, 8);
        if (!json) return json.status();
        JsonFields unet = json->object("unet"), vae = json->object("vae"), text = json->object("text_encoder");
        readUNetConfig(unet, model.config.unet);
        readVaeConfig(vae, model.config.vae);
        readTextConfig(text, model.config.text);
        for (const JsonFields* j : {&*json, &unet, &vae, &text}) WAFT_RETURN_IF_ERROR(j->status());
    }
    WAFT_RETURN_IF_ERROR(checkConfig(model.config, path));
    model.temporal = hasTemporal(*st, model.config, model.layout);
    if (const auto it = st->metadata().find("waft_self_attention"); it != st->metadata().end())
        if (!parseFrameAttention(it->second, model.selfAttention))
            return Status::corrupt(path + ": waft_self_attention is not a frame-attention mode");
    std::set<std::string> taken;
    for (SdPart part : {SdPart::Unet, SdPart::Vae, SdPart::TextEncoder})
        WAFT_RETURN_IF_ERROR(
            checkPart(*st, path, model.config, part, model.layout, model.parts[part], taken, model.temporal));
    for (const auto& [name, info] : st->tensors()) {
        if (taken.count(name)) continue;
        if (isIgnorableSingleFileTensor(name)) {
            ++model.ignoredTensors;
            continue;
        }
        return Status::corrupt(path + ": tensor " + quoteForError(name) + " does not belong to an SD 1.x checkpoint");
    }
    return model;
}

std::string sdConfigJson(const SdConfig& c) {
    std::vector<std::string> types;
    for (bool cross : c.unet.crossAttention) types.push_back(cross ? "CrossAttnDownBlock2D" : "DownBlock2D");
    const nlohmann::json j = {{"unet",
                               {{"in_channels", c.unet.inChannels},
                                {"out_channels", c.unet.outChannels},
                                {"block_out_channels", c.unet.channels},
                                {"layers_per_block", c.unet.layersPerBlock},
                                {"cross_attention_dim", c.unet.crossAttentionDim},
                                {"attention_head_dim", c.unet.heads},
                                {"norm_num_groups", c.unet.groups},
                                {"down_block_types", types}}},
                              {"vae",
                               {{"in_channels", c.vae.imageChannels},
                                {"latent_channels", c.vae.latentChannels},
                                {"block_out_channels", c.vae.channels},
                                {"layers_per_block", c.vae.layersPerBlock},
                                {"norm_num_groups", c.vae.groups},
                                {"scaling_factor", c.vae.scalingFactor}}},
                              {"text_encoder",
                               {{"vocab_size", c.text.vocabSize},
                                {"max_position_embeddings", c.text.contextLength},
                                {"hidden_size", c.text.width},
                                {"num_hidden_layers", c.text.layers},
                                {"num_attention_heads", c.text.heads},
                                {"intermediate_size", c.text.intermediate},
                                {"hidden_act", "quick_gelu"}}}};
    return j.dump();
}

std::string sdModelSummaryJson(const SdModelFiles& m) {
    nlohmann::json j;
    j["path"] = m.root;
    j["layout"] = m.layout == SdLayout::Diffusers ? "diffusers" : "single-file";
    for (const auto& [part, f] : m.parts)
        j["parts"][sdPartName(part)] = {
            {"file", f.path}, {"dtype", f.dtype}, {"tensors", f.tensors}, {"parameters", f.parameters}};
    j["unet"] = {{"block_out_channels", m.config.unet.channels},
                 {"layers_per_block", m.config.unet.layersPerBlock},
                 {"cross_attention_dim", m.config.unet.crossAttentionDim},
                 {"heads", m.config.unet.heads}};
    j["vae"] = {{"block_out_channels", m.config.vae.channels},
                {"latent_channels", m.config.vae.latentChannels},
                {"scaling_factor", m.config.vae.scalingFactor}};
    j["text_encoder"] = {
        {"width", m.config.text.width}, {"layers", m.config.text.layers}, {"heads", m.config.text.heads}};
    j["ignored_tensors"] = m.ignoredTensors;
    j["video"] = m.temporal ? nlohmann::json{{"temporal_attention", true},
                                             {"self_attention", frameAttentionName(m.selfAttention)}}
                            : nlohmann::json(nullptr);
    return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace waft::engine::sd
