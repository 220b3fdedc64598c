#pragma once

#include <opencv2/core/mat.hpp>
#include <vector>

#include "core/Job.h"
#include "core/Status.h"
#include "motion/SpectralVolume.h"

namespace waft::engine {

// What the user painted on a still photo (image pixel coordinates).
struct MotionArrow {
    float x = 0, y = 0;    // where the arrow starts
    float dx = 0, dy = 0;  // direction and strength: the motion amplitude in pixels along it
};
struct MotionAnchor {
    float x = 0, y = 0;  // a point that must stay still
    float radiusPx = 0;  // 0: the brush's default
};

struct MotionBrushParams {
    float loopSec = 4.0f;         // exact period: every band is a harmonic of 1/loopSec
    int bands = 3;                // K
    float radiusPx = 0.0f;        // arrow influence radius; 0 = 15% of the shorter image side
    float anchorRadiusPx = 0.0f;  // default anchor radius; 0 = radiusPx / 2
    float waveLengthPx = 0.0f;    // travelling-wave length along the arrows; 0 = 2 * radiusPx
    float featherPx = 8.0f;       // freeze-mask feather, outside the mask only
    int naturalHarmonics = 3;     // the things' natural frequencies cycle over harmonics 1..this (at most bands)
    unsigned seed = 1;            // the things' phases and which harmonic each centres on
};

// Motion brush (no model needed): turns arrows, anchors and a freeze mask painted on a photo into a spectral
// volume. The amplitude field blends the arrows with Gaussian influence (strength decays away from them),
// then follows the photo's edges (guided filter, the photo as guide), is zero at anchors (multiplied by
// 1 - Gaussian around each) and inside the freeze mask (feathered outward). Band k has frequency k / loopSec.
// Arrows closer than twice the reach paint one thing; each thing sways on its own: its own random phase per
// band, so neighbours do not move in lockstep and each moves as one piece, and its own natural frequency (its
// spectrum k^-1.5 times a narrow Gaussian about harmonic 1 .. naturalHarmonics, cycling over the things), so a
// pull on one thing mostly excites its own bands and leaves alone the things centred elsewhere (give as many
// harmonics as things that must move apart). Between things the phasors blend with Gaussians 1.5 reaches wide;
// a wave along the local amplitude direction (waveLengthPx) bends stems rather than shifting them. Motion at a
// pixel is along its amplitude vector. Pure function; any thread; a cancel token stops it (Status::cancelled).
// image: 8-bit BGR; freezeMask: empty or 8-bit, one channel, image-sized (non-zero = frozen).
Expected<SpectralVolume> motionFromBrush(const cv::Mat& image, const std::vector<MotionArrow>& arrows,
                                         const std::vector<MotionAnchor>& anchors, const cv::Mat& freezeMask,
                                         const MotionBrushParams& params = {}, const CancelToken* cancel = nullptr);

}  // namespace waft::engine
