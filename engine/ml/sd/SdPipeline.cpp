#include "ml/sd/SdPipeline.h"

#include <map>
#include <mutex>
#include <opencv2/imgproc.hpp>

#include "core/Job.h"
#include "ml/prior/ModelCache.h"
#include "ml/sd/ClipTokenizer.h"
#include "ml/sd/SdModelLoader.h"

namespace waft::engine::sd {

namespace {

// What identifies a loaded model: its files' identities (ModelCache's), the inflation and the compute.
Expected<std::string> cacheKey(const SdModelFiles& files, const InflationConfig& inflation,
                               const prior::Compute& compute) {
    std::string key = frameAttentionName(inflation.selfAttention) +
                      std::string(inflation.temporalAttention ? "+t" : "") + "|" + compute.device.str() + "|" +
                      (compute.autocast ? c10::toString(*compute.autocast) : "fp32");
    for (const auto& [part, file] : files.parts) {
        auto id = prior::ModelCache::identity(file.path);
        if (!id) return id.status();
        const auto& [dev, ino, size, sec, nsec] = *id;
        key += "|" + file.path + ":" + std::to_string(dev) + ":" + std::to_string(ino) + ":" + std::to_string(size) +
               ":" + std::to_string(sec) + "." + std::to_string(nsec);
    }
    return key;
}

std::mutex g_cacheMutex;
std::map<std::string, std::shared_ptr<SdModel>> g_cache;

}  // namespace

// BGR8 frames -> [N, 3, H, W] in [-1, 1] (RGB, as SD's VAE was trained).
torch::Tensor framesToTensor(const std::vector<cv::Mat>& frames, const torch::Device& device) {
    std::vector<torch::Tensor> out;
    for (const cv::Mat& bgr : frames) {
        cv::Mat rgb;
        cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
        out.push_back(torch::from_blob(rgb.data, {rgb.rows, rgb.cols, 3}, torch::kUInt8)
                          .permute({2, 0, 1})
                          .to(torch::kFloat32)
                          .clone());
    }
    return (torch::stack(out) / 127.5 - 1.0).to(device);
}

std::vector<cv::Mat> tensorToFrames(const torch::Tensor& images) {
    const torch::Tensor bytes = ((images.to(torch::kCPU, torch::kFloat32).clamp(-1, 1) + 1.0) * 127.5)
                                    .round()
                                    .to(torch::kUInt8)
                                    .permute({0, 2, 3, 1})
                                    .contiguous();
    std::vector<cv::Mat> out;
    for (int64_t i = 0; i < bytes.size(0); ++i) {
        cv::Mat rgb(int(bytes.size(1)), int(bytes.size(2)), CV_8UC3, bytes[i].data_ptr<uint8_t>());
        cv::Mat bgr;
        cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
        out.push_back(bgr);
    }
    return out;
}

ml::NoiseSchedule sdSchedule() { return ml::NoiseSchedule::scaledLinear(1000, 0.00085, 0.012, false); }

ml::DdimOptions sdDdimOptions(int steps) {
    ml::DdimOptions o;
    o.steps = steps;
    o.spacing = ml::TimestepSpacing::Leading;
    o.offset = 1;
    return o;
}

namespace {

// The three modules of `files` on the compute's device, in eval mode; the UNet's weights in the compute's
// half precision unless `fp32Unet` (a fine-tune keeps fp32 master weights and autocasts).
Expected<std::shared_ptr<SdModel>> buildSdModel(const std::string& path, const SdModelFiles& files,
                                                const InflationConfig& inflation, const prior::Compute& compute,
                                                bool fp32Unet) {
    try {
        auto model = std::make_shared<SdModel>();
        model->files = files;
        model->compute = compute;
        model->text = ClipTextModel(files.config.text);
        model->vae = AutoencoderKl(files.config.vae);
        model->unet = SdUNet(files.config.unet, inflation);
        model->vaeCompute = compute;
        if (compute.autocast == at::kHalf) model->vaeCompute.autocast.reset();
        // Dtype and device first, so each tensor goes from the file's bytes straight to where it lives.
        const auto place = [](torch::nn::Module& m, const prior::Compute& c, bool cast) {
            if (c.autocast && cast) castExceptNorms(m, *c.autocast);
            m.to(c.device);
            m.eval();
        };
        place(*model->text, compute, true);
        place(*model->unet, compute, !fp32Unet);
        place(*model->vae, model->vaeCompute, true);
        WAFT_RETURN_IF_ERROR(loadSdParts(*model->text, *model->vae, *model->unet, files));
        return model;
    } catch (const std::exception& e) {
        return Status::corrupt(path + ": cannot load the model: " + oneLine(e.what()));
    }
}

}  // namespace

namespace {

// What both loaders start from: the checked files, the compute, and the inflation (a video model's temporal
// layers always load).
struct SdModelRequest {
    SdModelFiles files;
    prior::Compute compute;
    InflationConfig inflation;
};

Expected<SdModelRequest> requestSdModel(const std::string& path, const InflationConfig& requested,
                                        const prior::ComputeOptions& options, bool training) {
    auto files = openSdModel(path);
    if (!files) return files.status();
    auto compute = prior::resolveCompute(options, training);
    if (!compute) return compute.status();
    InflationConfig inflation = requested;
    inflation.temporalAttention = requested.temporalAttention || files->temporal;
    return SdModelRequest{*files, *compute, inflation};
}

}  // namespace

Expected<std::shared_ptr<SdModel>> loadSdModel(const std::string& path, const InflationConfig& requested,
                                               const prior::ComputeOptions& options) {
    auto r = requestSdModel(path, requested, options, false);
    if (!r) return r.status();
    const auto key = cacheKey(r->files, r->inflation, r->compute);
    if (!key) return key.status();
    std::lock_guard<std::mutex> lock(g_cacheMutex);
    if (const auto it = g_cache.find(*key); it != g_cache.end()) return it->second;
    g_cache.clear();  // one SD model at a time: the previous one's gigabytes go first
    auto model = buildSdModel(path, r->files, r->inflation, r->compute, false);
    if (!model) return model.status();
    g_cache[*key] = *model;
    return *model;
}

Expected<std::shared_ptr<SdModel>> loadSdModelForTuning(const std::string& path, const InflationConfig& requested,
                                                        const prior::ComputeOptions& options) {
    auto r = requestSdModel(path, requested, options, true);
    if (!r) return r.status();
    releaseCachedSdModels();  // one SD model in memory at a time
    return buildSdModel(path, r->files, r->inflation, r->compute, true);
}

torch::Tensor vaeEncode(SdModel& model, const torch::Tensor& images, int slice, const VaeTiling& tiling) {
    prior::AutocastScope autocast(model.vaeCompute);
    const auto dtype = model.vaeCompute.autocast.value_or(at::kFloat);
    return model.vae->encode(images.to(model.vaeCompute.device, dtype), slice, tiling).to(torch::kFloat32);
}

torch::Tensor vaeDecode(SdModel& model, const torch::Tensor& latents, int slice, const VaeTiling& tiling) {
    prior::AutocastScope autocast(model.vaeCompute);
    const auto dtype = model.vaeCompute.autocast.value_or(at::kFloat);
    return model.vae->decode(latents.to(model.vaeCompute.device, dtype), slice, tiling).to(torch::kFloat32);
}

size_t cachedSdModelCount() {
    std::lock_guard<std::mutex> lock(g_cacheMutex);
    return g_cache.size();
}

void releaseCachedSdModels() {
    std::lock_guard<std::mutex> lock(g_cacheMutex);
    g_cache.clear();
}

Expected<torch::Tensor> encodePrompt(SdModel& model, const std::string& prompt, int* truncatedTokens) {
    auto tokenizer = ClipTokenizer::shared();
    if (!tokenizer) return tokenizer.status();
    const TokenizedPrompt tokens = (*tokenizer)->tokenize(prompt, model.files.config.text.contextLength);
    if (truncatedTokens) *truncatedTokens = tokens.droppedTokens;
    std::vector<int64_t> ids(tokens.ids.begin(), tokens.ids.end());
    for (int64_t& id : ids)
        if (id >= model.files.config.text.vocabSize)
            id = model.files.config.text.vocabSize - 1;  // tiny test vocabularies
    torch::NoGradGuard noGrad;
    const torch::Tensor input =
        torch::tensor(ids, torch::kLong).reshape({1, int64_t(ids.size())}).to(model.compute.device);
    prior::AutocastScope autocast(model.compute);
    return model.text->forward(input).to(torch::kFloat32);
}

ml::Epsilon guidedEpsilon(SdModel& model, const SdGuidance& guidance, int frames) {
    return [&model, guidance, frames](const torch::Tensor& x, int64_t t) {
        prior::AutocastScope autocast(model.compute);
        const torch::Tensor step = torch::full({1}, t, torch::TensorOptions().dtype(torch::kLong).device(x.device()));
        const auto contextFor = [&](const torch::Tensor& c) { return c.expand({frames, c.size(1), c.size(2)}); };
        if (guidance.scale == 1.0 || !guidance.unconditional.defined())
            return model.unet->forward(x, step, contextFor(guidance.conditional), frames).to(torch::kFloat32);
        // Both passes in one call: [unconditional frames; conditional frames], each clip inflated on its own.
        const torch::Tensor both = model.unet->forward(
            torch::cat({x, x}, 0), step,
            torch::cat({contextFor(guidance.unconditional), contextFor(guidance.conditional)}, 0), frames);
        const auto parts = both.to(torch::kFloat32).chunk(2, 0);
        return ml::classifierFree(parts[1], parts[0], guidance.scale);
    };
}

}  // namespace waft::engine::sd
