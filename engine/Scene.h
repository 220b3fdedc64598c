#pragma once

#include <string>
#include <vector>

#include "Safetensors.h"
#include "SpectralVolume.h"
#include "Status.h"

namespace waft::engine {

// What the user set on a scene. Gains scale the looping playback only; pulls act on the raw modal basis so a
// grabbed point follows the cursor whatever the amplitude sliders say.
struct SceneSettings {
    float globalGain = 1.0f;
    std::vector<float> bandGains;  // empty = all 1; else one per band
    float dampingRatio = 0.08f;
    float speed = 1.0f;            // time scale of playback and dynamics: 0.5 = half-speed slow motion
    float loopSec = 0.0f;          // preferred loop length; 0 = derive from the lowest band
};

// A scene: the spectral volume (which carries the reference image) and the user's settings.
struct Scene {
    SpectralVolume volume;
    SceneSettings settings;
    Status validate() const;
};

// The .waft scene file is a safetensors file readable by any safetensors tool:
//   image          U8  [H, W, 3]  reference image, RGB
//   spectral       F16|F32 [K, 4, H, W]  (Re Sx, Im Sx, Re Sy, Im Sy) per band, amplitudes in pixels
//   frequencies_hz F32 [K]
//   band_gains     F32 [K]
//   __metadata__   format = "waft-scene", version = "1", source_fps, source_duration_sec, settings (JSON)
// Saving is atomic; loading validates everything and never trusts sizes from the file.
Status saveScene(const std::string& path, const Scene& scene, DType storage = DType::F16);
Expected<Scene> loadScene(const std::string& path);

// A JSON summary (size, bands, frequencies, amplitude statistics, settings) for `waft-cli info`.
std::string sceneInfoJson(const Scene& scene);

}  // namespace waft::engine
