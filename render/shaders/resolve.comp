#version 450
// Normalise the accumulated colour by its weight; pixels nothing landed on become holes (pyramid level 0).
layout(local_size_x = 256) in;
layout(constant_id = 0) const bool kFixedPoint = false;
#include "common.glsl"

void main() {
    const int i = int(gl_GlobalInvocationID.x);
    if (i >= pc.width * pc.height) return;
    vec4 acc;
    if (kFixedPoint) {
        acc = vec4(float(accumU[4 * i]) / kColourScale, float(accumU[4 * i + 1]) / kColourScale,
                   float(accumU[4 * i + 2]) / kColourScale, float(accumU[4 * i + 3]) / kWeightScale);
    } else {
        acc = vec4(accumF[4 * i], accumF[4 * i + 1], accumF[4 * i + 2], accumF[4 * i + 3]);
    }
    if (acc.w > 0.0) {
        const float inv = 1.0 / acc.w;
        pyramid[i] = vec4(acc.x * inv, acc.y * inv, acc.z * inv, 1.0);
    } else {
        pyramid[i] = vec4(0.0);
    }
}
