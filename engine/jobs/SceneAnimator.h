#pragma once

#include <memory>
#include <string>

#include "core/Job.h"
#include "encode/ExportParams.h"
#include "motion/LoopPlanner.h"
#include "raster/RenderBackend.h"
#include "scene/Scene.h"

namespace waft::engine {

struct AnimateParams {
    float seconds = 0.0f;  // 0: the scene's loop length (settings.loopSec, else the analysed clip length)
    float fps = 30.0f;
    float gain = 1.0f;  // on top of the scene's global gain
    bool loop = true;   // snap bands to harmonics of 1/seconds and start at the quietest instant
    int width = 0;      // output size; 0 keeps the scene's (one of the two keeps the aspect ratio)
    int height = 0;
    ExportParams encode;  // quality and codec; loopFrames is set by the job when it loops
};

struct PullParams {
    int x = 0;  // grabbed pixel in scene coordinates
    int y = 0;
    float dragX = 0.0f;  // drag vector in pixels
    float dragY = 0.0f;
    float holdSec = 1.0f;        // the drag ramps in over the first 0.2 s, is held, then released
    float dampingRatio = -1.0f;  // < 0: the scene's
    float seconds = 4.0f;
    float fps = 30.0f;
    int width = 0;
    int height = 0;
    ExportParams encode;
};

// Loop export: renders seconds*fps frames of looping playback with the CPU renderer and writes them with
// VideoExporter. Reports the loop seam of the frames it rendered.
class AnimateJob : public Job {
public:
    // scene must outlive the job; backend defaults to the fast CPU frame path.
    AnimateJob(const Scene& scene, std::string outputPath, AnimateParams params,
               RenderBackendFactory backend = cpuRenderBackend());
    // Keeps the scene alive itself (the app exports a snapshot while the user goes on editing).
    AnimateJob(std::shared_ptr<const Scene> scene, std::string outputPath, AnimateParams params,
               RenderBackendFactory backend = cpuRenderBackend());
    std::string name() const override { return "export loop"; }
    Status run(Progress& progress, const CancelToken& cancel) override;
    const SeamReport& seam() const { return m_seam; }
    int frames() const { return m_frames; }
    const std::string& encoding() const { return m_encoding; }  // the encoder and settings used

private:
    std::shared_ptr<const Scene> m_owned;  // before m_scene: it may refer to it
    const Scene& m_scene;
    std::string m_outputPath;
    AnimateParams m_params;
    RenderBackendFactory m_backend;
    SeamReport m_seam;
    int m_frames = 0;
    std::string m_encoding;
};

// Scripted pull-and-release: the same modal simulation the GUI drives, stepped once per output frame.
class PullJob : public Job {
public:
    PullJob(const Scene& scene, std::string outputPath, PullParams params,
            RenderBackendFactory backend = cpuRenderBackend());
    std::string name() const override { return "pull and release"; }
    Status run(Progress& progress, const CancelToken& cancel) override;
    // Displacement of the grabbed pixel along the drag direction, per frame (for tests and reports).
    const std::vector<float>& grabbedTrace() const { return m_trace; }

private:
    const Scene& m_scene;
    std::string m_outputPath;
    PullParams m_params;
    RenderBackendFactory m_backend;
    std::vector<float> m_trace;
};

// Default loop length of a scene: its setting, else the analysed clip length, else one period of band 1.
float defaultLoopSec(const SpectralVolume& volume, const SceneSettings& settings);

// Output size for a requested width/height (0 = keep; one given keeps the aspect ratio).
Expected<cv::Size> outputSize(const SpectralVolume& volume, int width, int height);

}  // namespace waft::engine
