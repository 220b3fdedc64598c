#pragma once

#include <memory>
#include <string>

#include "core/Job.h"
#include "scene/Scene.h"

namespace waft::engine {

struct WebPageParams {
    int width = 0;  // the page's render size; 0 x 0: the scene's, at most kWebDefaultSide on the long side
    int height = 0;
    int bands = 0;         // 0: every band that moves; K: the K that move most (mean |S_j|^2)
    int quality = 95;      // JPEG quality of the photo, 1..100 (docs/BENCHMARKS.md: 42.7 dB vs 40.6 at 90)
    int nodeStride = 4;    // the volume's resolution on the page: one sample every nodeStride pixels (2, 4 or 8)
    bool fallback = true;  // embed an animated WebP loop for browsers without WebGL2 or float render targets
};

inline constexpr int kWebDefaultSide = 1280;
inline constexpr int kWebMaxSide = 4096;  // WebGL2 guarantees 2048; every desktop GPU of the last decade 4096+
// The motion's samples, one byte each before deflate (browsers hold strings up to ~512 MiB; a page is base64).
inline constexpr size_t kWebMaxMotionBytes = size_t(96) << 20;

// What went into the page, in bytes of the file (base64 included).
struct WebPageReport {
    int width = 0;
    int height = 0;
    int bands = 0;
    int nodesX = 0;
    int nodesY = 0;
    float loopSec = 0.0f;
    size_t totalBytes = 0;
    size_t photoBytes = 0;
    size_t volumeBytes = 0;  // mode shapes and splat weights
    size_t fallbackBytes = 0;
};

// File > Export > Interactive web page and `waft-cli web`: one self-contained HTML file (no network request: a
// Content-Security-Policy with the player script's hash and nothing else allowed) that plays the scene's
// seamless loop in WebGL2 and answers drags like the app.
//
// The page holds the photo (JPEG), the mode shapes S_j of the kept bands sampled every nodeStride pixels and
// quantised to 8 bits per band and channel (scale = the band's largest |value|, so the error is at most
// 1/254 of each band's amplitude), the scene's splat weights likewise (z = log W + 20 in [0, 20]), row-delta
// coded and deflated; the loop plan (snapped frequencies, start instant, gains) and the modal parameters
// (frequencies, damping, hold damping, mobility floor and the reference mobility), so that the page computes
// what the engine computes: the loop's q_j(t) (SceneAnimator), the displacement Re sum_j S_j q_j (Catmull-Rom
// between the samples, as FastFrameRenderer), the softmax splat, push-pull hole fill and ModalSimulator's
// pull and ring-down. resources/web/player.js is the renderer. The file is written atomically; a failed or
// cancelled export leaves nothing.
class WebPageJob : public Job {
public:
    WebPageJob(std::shared_ptr<const Scene> scene, std::string outputPath, WebPageParams params);
    std::string name() const override { return "export web page"; }
    Status run(Progress& progress, const CancelToken& cancel) override;
    std::string summary() const override;
    const WebPageReport& report() const { return m_report; }

private:
    std::shared_ptr<const Scene> m_scene;
    std::string m_outputPath;
    WebPageParams m_params;
    WebPageReport m_report;
};

// The player's HTML and script, embedded in the binary (WebPlayer.S).
std::string webPlayerHtml();
std::string webPlayerScript();

}  // namespace waft::engine
