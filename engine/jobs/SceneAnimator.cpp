#include "jobs/SceneAnimator.h"

#include <cmath>

#include "dynamics/ModalSimulator.h"
#include "encode/VideoExporter.h"
#include "motion/DisplacementSynth.h"
#include "raster/FrameRenderer.h"

namespace waft::engine {

float defaultLoopSec(const SpectralVolume& volume, const SceneSettings& settings) {
    if (settings.loopSec > 0.0f) return settings.loopSec;
    if (volume.sourceDurationSec > 0.0f) return volume.sourceDurationSec / settings.speed;
    return 1.0f / (volume.frequenciesHz.front() * settings.speed);
}

Expected<cv::Size> outputSize(const SpectralVolume& volume, int width, int height) {
    if (width < 0 || height < 0 || width > kMaxImageSide || height > kMaxImageSide)
        return Status::invalid("output size must be within 1.." + std::to_string(kMaxImageSide));
    if (width == 0 && height == 0) return cv::Size(volume.width, volume.height);
    if (width == 0) width = std::max(2, int(std::lround(double(height) * volume.width / volume.height)));
    if (height == 0) height = std::max(2, int(std::lround(double(width) * volume.height / volume.width)));
    return cv::Size(width, height);
}

namespace {
// The volume to render: the scene's, resampled if the output size differs.
const SpectralVolume& volumeForSize(const Scene& scene, cv::Size size, SpectralVolume& storage) {
    if (size.width == scene.volume.width && size.height == scene.volume.height) return scene.volume;
    storage = scene.volume.resized(size.width, size.height);
    return storage;
}
}  // namespace

AnimateJob::AnimateJob(const Scene& scene, std::string outputPath, AnimateParams params, RenderBackendFactory backend)
    : m_scene(scene), m_outputPath(std::move(outputPath)), m_params(params), m_backend(std::move(backend)) {}

AnimateJob::AnimateJob(std::shared_ptr<const Scene> scene, std::string outputPath, AnimateParams params,
                       RenderBackendFactory backend)
    : m_owned(std::move(scene)),
      m_scene(*m_owned),
      m_outputPath(std::move(outputPath)),
      m_params(params),
      m_backend(std::move(backend)) {}

Status AnimateJob::run(Progress& progress, const CancelToken& cancel) {
    WAFT_RETURN_IF_ERROR(m_scene.validate());
    if (!(m_params.fps > 0.0f && m_params.fps <= 240.0f)) return Status::invalid("fps must be in (0, 240]");
    if (!std::isfinite(m_params.gain) || std::abs(m_params.gain) > 100.0f) return Status::invalid("gain out of range");
    const float seconds = m_params.seconds > 0.0f ? m_params.seconds : defaultLoopSec(m_scene.volume, m_scene.settings);
    if (!(seconds > 0.0f && seconds <= 600.0f)) return Status::invalid("duration must be in (0, 600] s");
    auto size = outputSize(m_scene.volume, m_params.width, m_params.height);
    if (!size) return size.status();
    SpectralVolume resized;
    const SpectralVolume& volume = volumeForSize(m_scene, *size, resized);

    std::vector<float> freqs = volume.frequenciesHz;
    for (float& f : freqs) f *= m_scene.settings.speed;  // slow motion: the time axis is stretched
    double startSec = 0.0;
    m_frames = std::max(1, int(std::lround(double(seconds) * m_params.fps)));
    if (m_params.loop) {
        const LoopPlan plan = planLoop(volume, freqs, seconds, m_params.fps);
        freqs = plan.frequenciesHz;
        startSec = plan.startSec;
    }
    std::vector<float> gains(size_t(volume.bands), m_scene.settings.globalGain * m_params.gain);
    for (size_t j = 0; j < gains.size() && j < m_scene.settings.bandGains.size(); ++j)
        gains[j] *= m_scene.settings.bandGains[j];

    auto renderer = m_backend(volume);
    if (!renderer) return renderer.status();
    ExportParams encode = m_params.encode;
    encode.loopFrames = m_params.loop ? m_frames : 0;
    VideoExporter exporter;
    WAFT_RETURN_IF_ERROR(exporter.open(m_outputPath, size->width, size->height, m_params.fps, encode));
    m_encoding = exporter.description();
    cv::Mat frame;
    for (int n = 0; n < m_frames; ++n) {
        if (cancel.isCancelled()) return Status::cancelled();  // exporter's destructor removes the partial file
        std::vector<std::complex<float>> q = playbackPhasors(freqs, startSec + double(n) / m_params.fps);
        for (size_t j = 0; j < q.size(); ++j) q[j] *= gains[j];
        WAFT_RETURN_IF_ERROR((*renderer)->render(q, frame));
        WAFT_RETURN_IF_ERROR(exporter.write(frame));
        progress.report(float(n + 1) / float(m_frames), "rendering");
    }
    WAFT_RETURN_IF_ERROR(exporter.commit());
    if (m_params.loop) m_seam = measureLoopSeam(volume, freqs, startSec, m_params.fps, m_frames, gains);
    return Status::ok();
}

PullJob::PullJob(const Scene& scene, std::string outputPath, PullParams params, RenderBackendFactory backend)
    : m_scene(scene), m_outputPath(std::move(outputPath)), m_params(params), m_backend(std::move(backend)) {}

Status PullJob::run(Progress& progress, const CancelToken& cancel) {
    WAFT_RETURN_IF_ERROR(m_scene.validate());
    const PullParams& p = m_params;
    if (!(p.fps > 0.0f && p.fps <= 240.0f)) return Status::invalid("fps must be in (0, 240]");
    if (!(p.seconds > 0.0f && p.seconds <= 600.0f)) return Status::invalid("duration must be in (0, 600] s");
    if (!std::isfinite(p.dragX) || !std::isfinite(p.dragY) || std::hypot(p.dragX, p.dragY) > 4.0f * kMaxImageSide)
        return Status::invalid("drag vector is not finite or absurdly long");
    if (p.x < 0 || p.y < 0 || p.x >= m_scene.volume.width || p.y >= m_scene.volume.height)
        return Status::invalid("pull point " + std::to_string(p.x) + "," + std::to_string(p.y) + " is outside the " +
                               std::to_string(m_scene.volume.width) + "x" + std::to_string(m_scene.volume.height) +
                               " scene");
    if (!(p.holdSec >= 0.0f) || !std::isfinite(p.holdSec)) return Status::invalid("hold time must be >= 0");
    auto size = outputSize(m_scene.volume, p.width, p.height);
    if (!size) return size.status();
    SpectralVolume resized;
    const SpectralVolume& volume = volumeForSize(m_scene, *size, resized);
    const float sx = float(size->width) / float(m_scene.volume.width);
    const float sy = float(size->height) / float(m_scene.volume.height);
    const int px = std::min(volume.width - 1, int(float(p.x) * sx));
    const int py = std::min(volume.height - 1, int(float(p.y) * sy));
    const float dragX = p.dragX * sx, dragY = p.dragY * sy;
    const float dragLength = std::hypot(dragX, dragY);

    ModalParams modal;
    modal.dampingRatio = p.dampingRatio >= 0.0f ? p.dampingRatio : m_scene.settings.dampingRatio;
    modal.speed = m_scene.settings.speed;
    ModalSimulator sim(volume, modal);
    auto renderer = m_backend(volume);
    if (!renderer) return renderer.status();
    VideoExporter exporter;
    ExportParams encode = p.encode;
    encode.loopFrames = 0;
    WAFT_RETURN_IF_ERROR(exporter.open(m_outputPath, size->width, size->height, p.fps, encode));
    const int frames = std::max(1, int(std::lround(double(p.seconds) * p.fps)));
    const double dt = 1.0 / p.fps;
    constexpr double kRampSec = 0.2;
    m_trace.clear();
    cv::Mat frame;
    for (int n = 0; n < frames; ++n) {
        if (cancel.isCancelled()) return Status::cancelled();
        const double t = n * dt;
        if (t < p.holdSec) {
            const float ramp = float(std::min(1.0, (t + dt) / kRampSec));
            sim.setPull(px, py, dragX * ramp, dragY * ramp);
        } else if (sim.isHeld()) {
            sim.release();
        }
        sim.step(dt);
        float ux, uy;
        sim.displacementAt(px, py, ux, uy);
        m_trace.push_back(dragLength > 0 ? (ux * dragX + uy * dragY) / dragLength : 0.0f);
        WAFT_RETURN_IF_ERROR((*renderer)->render(sim.coordinates(), frame));
        WAFT_RETURN_IF_ERROR(exporter.write(frame));
        progress.report(float(n + 1) / float(frames), "simulating");
    }
    return exporter.commit();
}

}  // namespace waft::engine
