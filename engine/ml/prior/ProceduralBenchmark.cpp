#include "ml/prior/ProceduralBenchmark.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <random>

#include "analysis/MotionExtractor.h"
#include "ml/prior/DatasetJob.h"
#include "ml/prior/FrequencyNormalization.h"
#include "ml/prior/ModelFile.h"
#include "ml/prior/PredictJob.h"
#include "ml/prior/TrainPriorJob.h"
#include "ml/prior/TrainVaeJob.h"
#include "motion/DisplacementSynth.h"
#include "raster/FrameRenderer.h"
#include "scene/Scene.h"

namespace fs = std::filesystem;

namespace waft::engine::prior {

namespace {

constexpr float kFps = 8.0f;
constexpr int kFrames = 32;

// A procedural scene at side x side: earthy smooth-noise ground and 2-3 striped stems. Green stems sway in
// band 0 (0.25 Hz), red ones in band 1 (0.5 Hz); the swing grows with the stem's height and along it.
SpectralVolume proceduralTruth(std::mt19937& rng, int side, int bands) {
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    cv::Mat noise(side / 8 + 2, side / 8 + 2, CV_32FC3);
    cv::randu(noise, 0.0, 1.0);
    for (int i = 0; i < int(noise.total()); ++i) noise.at<cv::Vec3f>(i) = cv::Vec3f(u(rng), u(rng), u(rng));
    cv::Mat ground;
    cv::resize(noise, ground, cv::Size(side, side), 0, 0, cv::INTER_CUBIC);
    cv::Mat image;
    ground.convertTo(image, CV_8UC3, 90.0, 60.0);  // browns and greys

    SpectralVolume v = SpectralVolume::zeros(side, side, bands);
    for (int j = 0; j < bands; ++j) v.frequenciesHz[size_t(j)] = float(j + 1) * kFps / float(kFrames);
    const int stems = 2 + int(u(rng) * 2.0f);
    for (int s = 0; s < stems; ++s) {
        const bool red = u(rng) < 0.5f;
        const int width = side / 10 + int(u(rng) * side / 12);
        const int height = side / 3 + int(u(rng) * side / 2);
        const int x0 = int(u(rng) * float(side - width));
        const float amplitude = 3.0f * float(height) / float(side);  // px at the top of the stem
        const int band = red ? 1 : 0;
        for (int y = side - height; y < side; ++y) {
            cv::Vec3b* row = image.ptr<cv::Vec3b>(y);
            for (int x = x0; x < x0 + width; ++x) {
                const bool stripe = ((y / 3) % 2) == 0;  // texture, so optical flow can track the stem
                row[x] = red ? cv::Vec3b(40, 40, stripe ? 220 : 150) : cv::Vec3b(40, stripe ? 210 : 140, 40);
                v.plane(band, 0)[size_t(y) * side + x] = amplitude * float(side - y) / float(height);
            }
        }
    }
    v.reference = image;
    v.sourceFps = kFps;
    v.sourceDurationSec = float(kFrames) / kFps;
    return v;
}

// Render the truth with the splatter, extract it back: the (image, spectral volume) pair the prior sees.
Expected<Scene> renderAndExtract(const SpectralVolume& truth, int bands, int size, const CancelToken& cancel) {
    FrameRenderer renderer(truth);
    VideoFrames video;
    for (int n = 0; n < kFrames; ++n) {
        cv::Mat frame;
        WAFT_RETURN_IF_ERROR(renderer.render(playbackPhasors(truth.frequenciesHz, n / kFps), frame));
        video.frames.push_back(frame);
        video.timesSec.push_back(n / kFps);
    }
    ExtractParams params;
    params.bands = bands;
    Progress progress;
    auto extracted = MotionExtractor::extract(video, params, Progress::Range(progress, 0, 1), cancel);
    if (!extracted) return extracted.status();
    Scene scene;
    scene.volume = extracted->resized(size, size);
    return scene;
}

double meanAbs(const std::vector<float>& a, const std::vector<float>& b) {
    double sum = 0.0;
    for (size_t i = 0; i < a.size(); ++i) sum += std::abs(double(a[i]) - (b.empty() ? 0.0 : double(b[i])));
    return a.empty() ? 0.0 : sum / double(a.size());
}

// Pixels whose true motion (root of the summed squared coefficients over bands) exceeds kMovingPx.
constexpr float kMovingPx = 0.1f;
std::vector<char> movingMask(const SpectralVolume& truth) {
    std::vector<char> mask(truth.planeSize(), 0);
    for (size_t i = 0; i < mask.size(); ++i) {
        double a = 0.0;
        for (int j = 0; j < truth.bands; ++j)
            for (int c = 0; c < 4; ++c) a += double(truth.plane(j, c)[i]) * truth.plane(j, c)[i];
        mask[i] = std::sqrt(a) > kMovingPx;
    }
    return mask;
}

// Mean |a - b| over the coefficients of masked pixels (b empty: zero).
double maskedMeanAbs(const SpectralVolume& truth, const std::vector<char>& mask, const std::vector<float>& b) {
    double sum = 0.0;
    size_t n = 0;
    for (int j = 0; j < truth.bands; ++j)
        for (int c = 0; c < 4; ++c) {
            const size_t base = (size_t(j) * 4 + size_t(c)) * truth.planeSize();
            for (size_t i = 0; i < mask.size(); ++i) {
                if (!mask[i]) continue;
                sum += std::abs(double(truth.coefficients[base + i]) - (b.empty() ? 0.0 : double(b[base + i])));
                ++n;
            }
        }
    return n ? sum / double(n) : 0.0;
}

// The VAE's round trip (encode mean, decode, inverse normalisation): the best any latent prior can do.
std::vector<float> vaeRoundTrip(const SpectralVolume& v, MotionVae& vae, const std::vector<float>& scales) {
    torch::NoGradGuard noGrad;
    const torch::Tensor c =
        torch::from_blob(const_cast<float*>(v.coefficients.data()), {v.bands, 4, v.height, v.width}, torch::kFloat32);
    const torch::Tensor out =
        denormalizeSpectral(vae->decode(vae->encode(normalizeSpectral(c, scales)).first), scales).contiguous();
    return std::vector<float>(out.data_ptr<float>(), out.data_ptr<float>() + out.numel());
}

}  // namespace

Status BenchPriorJob::run(Progress& progress, const CancelToken& cancel) {
    const auto start = std::chrono::steady_clock::now();
    const BenchPriorParams& p = m_params;
    if (p.workDir.empty()) return Status::invalid("bench-prior needs a work folder");
    const fs::path trainDir = fs::path(p.workDir) / "train", testDir = fs::path(p.workDir) / "test";
    std::error_code ec;
    fs::create_directories(trainDir, ec);
    fs::create_directories(testDir, ec);
    std::mt19937 rng(p.seed);
    std::vector<Scene> test;
    std::vector<float> mean;
    int made = 0;
    for (int i = 0; i < p.trainScenes + p.testScenes; ++i) {
        if (cancel.isCancelled()) return Status::cancelled();
        // Scenes already in the work folder are reused (the generator is deterministic in the seed), so a rerun
        // with other training settings skips the rendering and extraction.
        const SpectralVolume truth = proceduralTruth(rng, 2 * p.size, p.bands);
        const bool isTest = i >= p.trainScenes;
        const fs::path path = (isTest ? testDir : trainDir) / ("scene-" + std::to_string(i) + ".waft");
        Expected<Scene> scene = Status::io("not generated yet");
        if (fs::exists(path, ec)) scene = loadScene(path.string());
        if (!scene || scene->volume.bands != p.bands || scene->volume.width != p.size ||
            scene->volume.height != p.size) {
            scene = renderAndExtract(truth, p.bands, p.size, cancel);
            if (!scene) return scene.status();
            WAFT_RETURN_IF_ERROR(saveScene(path.string(), *scene));
        }
        if (isTest) {
            test.push_back(std::move(scene).value());
        } else {
            if (mean.empty()) mean.assign(scene->volume.coefficients.size(), 0.0f);
            for (size_t c = 0; c < mean.size(); ++c) mean[c] += scene->volume.coefficients[c] / float(p.trainScenes);
        }
        progress.report(0.1f * float(++made) / float(p.trainScenes + p.testScenes), "generating scenes");
    }

    const auto trainStart = std::chrono::steady_clock::now();
    TrainingRunParams train;
    train.preset = ModelPreset::Tiny;
    train.batch = p.batch;
    train.learningRate = p.learningRate;
    train.checkpointEvery = 0;
    train.seed = p.seed;
    train.width = train.height = p.size;
    const std::string vae = (fs::path(p.workDir) / "vae.safetensors").string();
    const std::string prior = (fs::path(p.workDir) / "prior.safetensors").string();
    train.steps = p.vaeSteps;
    TrainVaeJob vaeJob(trainDir.string(), vae, train);
    Progress::Range vaeRange(progress, 0.1f, 0.3f);
    Progress vaeProgress([&](float f, const std::string& stage) { vaeRange.report(f, "VAE " + stage); });
    vaeProgress.setMetricObserver([&](const std::string& n, int s, double v) { progress.metric("VAE " + n, s, v); });
    WAFT_RETURN_IF_ERROR(vaeJob.run(vaeProgress, cancel));
    train.steps = p.priorSteps;
    TrainPriorJob priorJob(trainDir.string(), vae, prior, 1, "", train);
    Progress::Range priorRange(progress, 0.3f, 0.9f);
    Progress priorProgress([&](float f, const std::string& stage) { priorRange.report(f, "prior " + stage); });
    priorProgress.setMetricObserver(
        [&](const std::string& n, int s, double v) { progress.metric("prior " + n, s, v); });
    WAFT_RETURN_IF_ERROR(priorJob.run(priorProgress, cancel));
    m_report.trainSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - trainStart).count();

    auto vaeModel = loadMotionVae(vae);
    if (!vaeModel) return vaeModel.status();
    const std::vector<float> scales = metadataFloats(*readModelMetadata(vae), "frequency_scales");
    PredictParams predict;
    predict.sampler.steps = p.samplingSteps;
    predict.sampler.guidance = p.guidance;
    BenchPriorErrors all, moving;
    std::vector<float> firstPrediction;
    for (size_t i = 0; i < test.size(); ++i) {
        if (cancel.isCancelled()) return Status::cancelled();
        const std::vector<float>& truth = test[i].volume.coefficients;
        predict.sampler.seed = 0;
        PredictJob job(test[i].volume.reference, prior, vae, predict);
        Progress silent;
        WAFT_RETURN_IF_ERROR(job.run(silent, cancel));
        const std::vector<float>& predicted = job.result()->volume.coefficients;
        const std::vector<float> roundTrip = vaeRoundTrip(test[i].volume, *vaeModel, scales);
        all.zero += meanAbs(truth, {});
        all.mean += meanAbs(truth, mean);
        all.prior += meanAbs(truth, predicted);
        all.vae += meanAbs(truth, roundTrip);
        const std::vector<char> mask = movingMask(test[i].volume);
        moving.zero += maskedMeanAbs(test[i].volume, mask, {});
        moving.mean += maskedMeanAbs(test[i].volume, mask, mean);
        moving.prior += maskedMeanAbs(test[i].volume, mask, predicted);
        moving.vae += maskedMeanAbs(test[i].volume, mask, roundTrip);
        if (i == 0) {
            firstPrediction = predicted;
            predict.sampler.seed = 1;
            PredictJob other(test[i].volume.reference, prior, vae, predict);
            WAFT_RETURN_IF_ERROR(other.run(silent, cancel));
            m_report.seedDifference = meanAbs(firstPrediction, other.result()->volume.coefficients);
        }
        progress.report(0.9f + 0.1f * float(i + 1) / float(test.size()), "evaluating");
    }
    const double n = double(std::max<size_t>(1, test.size()));
    for (BenchPriorErrors* e : {&all, &moving}) {
        e->zero /= n;
        e->mean /= n;
        e->prior /= n;
        e->vae /= n;
    }
    m_report.all = all;
    m_report.moving = moving;
    m_report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return Status::ok();
}

}  // namespace waft::engine::prior
