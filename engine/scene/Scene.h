#pragma once

#include <string>
#include <vector>

#include "core/Status.h"
#include "io/Safetensors.h"
#include "motion/SpectralVolume.h"

namespace waft::engine {

// What the user set on a scene. Gains scale the looping playback only; pulls act on the raw modal basis so a
// grabbed point follows the cursor whatever the amplitude sliders say.
struct SceneSettings {
    float globalGain = 1.0f;
    std::vector<float> bandGains;  // empty = all 1; else one per band
    float dampingRatio = 0.08f;
    float speed = 1.0f;    // time scale of playback and dynamics: 0.5 = half-speed slow motion
    float loopSec = 0.0f;  // preferred loop length; 0 = derive from the lowest band
};

// Where a scene came from, when it came from a video: the file and the time range (source time, seconds)
// the motion was analysed on. A photo scene has none. Video jobs run on a clip of this range.
struct SceneSource {
    std::string videoPath;  // absolute
    double startSec = 0.0;
    double endSec = 0.0;
    bool isVideo() const { return !videoPath.empty(); }
};

// A range of a source video, as a video job takes it.
struct VideoClip {
    std::string videoPath;
    double inSec = 0.0;
    double outSec = 0.0;
};
// The clip [inSec, outSec] of a scene's source: refused for a photo scene, outside the source range, or
// shorter than 0.1 s, each with one line saying why.
Expected<VideoClip> clipOf(const SceneSource& source, double inSec, double outSec);

// A scene: the spectral volume (which carries the reference image), the user's settings and its source.
struct Scene {
    SpectralVolume volume;
    SceneSettings settings;
    SceneSource source;
    Status validate() const;
};

// The .waft scene file is a safetensors file readable by any safetensors tool:
//   image          U8  [H, W, 3]  reference image, RGB
//   spectral       F16|F32 [K, 4, H, W]  (Re Sx, Im Sx, Re Sy, Im Sy) per band, amplitudes in pixels
//   frequencies_hz F32 [K]
//   band_gains     F32 [K]
//   __metadata__   format = "waft-scene", version = "1", source_fps, source_duration_sec, settings (JSON),
//                  source (JSON {"video", "start_sec", "end_sec"}; video scenes only)
// Saving is atomic; loading validates everything and never trusts sizes from the file.
Status saveScene(const std::string& path, const Scene& scene, DType storage = DType::F16);
Expected<Scene> loadScene(const std::string& path);

// A JSON summary (size, bands, frequencies, amplitude statistics, settings) for `waft-cli info`.
std::string sceneInfoJson(const Scene& scene);

}  // namespace waft::engine
