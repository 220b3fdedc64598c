#include "ml/prior/PredictJob.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "ml/prior/Compute.h"
#include "ml/prior/DdimSampler.h"
#include "ml/prior/FrequencyNormalization.h"
#include "ml/prior/LoopLoss.h"
#include "ml/prior/ModelBudget.h"
#include "ml/prior/ModelCache.h"
#include "ml/prior/ModelFile.h"
#include "ml/prior/TrainingData.h"

namespace waft::engine::prior {

Status PredictJob::run(Progress& progress, const CancelToken& cancel) {
    if (m_image.empty() || m_image.type() != CV_8UC3) return Status::invalid("predict needs an 8-bit colour image");
    // Loaded once per session while the files are unchanged (the app predicts every photo it opens).
    auto net = ModelCache::shared().denoiser(m_priorPath);  // the model the user chose first, then its VAE
    if (!net) return net.status();
    auto vae = ModelCache::shared().vae(m_vaePath);
    if (!vae) return vae.status();
    auto metadata = readModelMetadata(m_priorPath);
    if (!metadata) return metadata.status();
    const ModelMetadata meta = *metadata;
    const std::vector<float> scales = metadataFloats(meta, "frequency_scales");
    const std::vector<float> freqs = metadataFloats(meta, "frequencies_hz");
    const int width = metadataInt(meta, "width", 0), height = metadataInt(meta, "height", 0),
              frames = metadataInt(meta, "frames", 150);
    const int bands = int(freqs.size());
    if (scales.size() != freqs.size() || bands < 1 || bands > (*net)->config.maxFrequencies || width <= 0 ||
        height <= 0 || width > 4096 || height > 4096)  // training sizes are at most 4096
        return Status::corrupt(m_priorPath +
                               ": missing or inconsistent prediction metadata (train it with train-prior)");
    for (size_t j = 0; j < freqs.size(); ++j)
        if (!(freqs[j] > 0.0f && freqs[j] < 1000.0f) || !(scales[j] > 0.0f && scales[j] < 1e6f))
            return Status::corrupt(m_priorPath + ": frequency metadata out of range");
    if (frames < 3 || frames > 100000) return Status::corrupt(m_priorPath + ": frame count metadata out of range");
    const float fps = metadataFloat(meta, "fps", 30.0f);
    if (!(fps >= 1.0f && fps <= 1000.0f)) return Status::corrupt(m_priorPath + ": fps metadata out of range");
    const float latentScale = metadataFloat(meta, "latent_scale", 1.0f);  // 1: models from before the scale factor
    if (!(latentScale > 0.0f)) return Status::corrupt(m_priorPath + ": latent_scale must be positive");
    const int factor = (*vae)->downsampleFactor();
    // The decoded volume must have exactly the size the scene is labelled with: a size the VAE cannot halve
    // down to whole latents (or the denoiser's levels cannot) would decode smaller than width x height.
    if (width % factor != 0 || height % factor != 0)
        return Status::corrupt(m_priorPath + ": prediction size " + std::to_string(width) + "x" +
                               std::to_string(height) + " is not a multiple of the VAE's factor " +
                               std::to_string(factor));
    const int lw = width / factor, lh = height / factor;
    WAFT_RETURN_IF_ERROR(checkActivationBudget((*net)->config, lw, lh, bands).withContext(m_priorPath));
    if ((*vae)->config.latentChannels != (*net)->config.latentChannels || (*vae)->config.inChannels != 4 ||
        (*net)->config.conditionChannels != 3)
        return Status::corrupt(m_priorPath +
                               ": the denoiser and the VAE do not fit together (latent, motion or "
                               "condition channels)");
    auto compute = resolveCompute(m_params.compute, false);
    if (!compute) return compute.status();
    const torch::Device device = compute->device;
    (*vae)->eval();
    (*net)->eval();
    (*vae)->to(device);
    (*net)->to(device);
    progress.report(0.05f, "sampling");

    const torch::Tensor condition =
        conditionFor(m_image, lw, lh).unsqueeze(0).expand({bands, 3, lh, lw}).contiguous().to(device);
    const torch::Tensor none = torch::zeros_like(condition);
    const torch::Tensor frequency = torch::arange(bands, torch::kLong).to(device);
    int calls = 0;
    const int expectedCalls = std::max(1, m_params.sampler.steps) * (m_params.sampler.guidance != 0.0f ? 2 : 1);
    const NoiseSchedule schedule = NoiseSchedule::scaledLinear();
    const Denoiser denoiser = [&](const torch::Tensor& x, int64_t t, bool conditional) {
        torch::NoGradGuard noGrad;
        progress.report(0.05f + 0.85f * std::min(1.0f, float(++calls) / float(expectedCalls)), "sampling");
        // The sampler's arithmetic stays on the CPU in fp32 (a few small tensors); the network runs on the device.
        torch::Tensor out;
        {
            AutocastScope autocast(*compute);
            out = (*net)->forward(x.to(device),
                                  torch::full({bands}, t, torch::TensorOptions(torch::kLong).device(device)), frequency,
                                  conditional ? condition : none, bands);
        }
        out = out.to(torch::kCPU, torch::kFloat32);
        return epsilonFrom((*net)->config.prediction, out, x, schedule.alphaBar(t));
    };
    GuidanceLoss loop;
    if (m_params.loop)
        loop = [&](const torch::Tensor& x0) {
            return loopLoss(denormalizeSpectral((*vae)->decode(x0.to(device) / latentScale), scales), freqs, fps,
                            frames);
        };
    SamplerParams sampler = m_params.sampler;
    if (!m_params.loop) sampler.selfGuidance = 0.0f;
    const torch::Tensor latents = ddimSample(denoiser, {bands, (*net)->config.latentChannels, lh, lw}, sampler,
                                             schedule, loop, [&] { return cancel.isCancelled(); });
    if (!latents.defined() || cancel.isCancelled()) return Status::cancelled();
    torch::Tensor spectral;
    {
        torch::NoGradGuard noGrad;
        spectral =
            denormalizeSpectral((*vae)->decode(latents.to(device) / latentScale), scales).to(torch::kCPU).contiguous();
    }
    if (spectral.dim() != 4 || spectral.size(0) != bands || spectral.size(1) != 4 || spectral.size(2) != height ||
        spectral.size(3) != width)
        return Status::corrupt(m_priorPath + ": the VAE decodes a different size than the model was trained at");
    m_scene = std::make_shared<Scene>();
    SpectralVolume& v = m_scene->volume;
    v.width = width;
    v.height = height;
    v.bands = bands;
    v.coefficients.assign(spectral.data_ptr<float>(), spectral.data_ptr<float>() + spectral.numel());
    v.frequenciesHz = freqs;
    v.sourceFps = fps;
    v.sourceDurationSec = float(frames) / fps;
    cv::resize(m_image, v.reference, cv::Size(width, height), 0, 0, cv::INTER_AREA);
    if (m_image.cols != width || m_image.rows != height) {  // the scene keeps the photo; motion is resampled to it
        v = v.resized(m_image.cols, m_image.rows);
        v.reference = m_image.clone();
    }
    WAFT_RETURN_IF_ERROR(v.validate());
    progress.report(1.0f, "done");
    return Status::ok();
}

}  // namespace waft::engine::prior
