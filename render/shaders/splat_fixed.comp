#version 450
// Integer path, pass 2: fixed-point splat with 32-bit integer atomics (any Vulkan device). Softmax is
// invariant to a per-target scale, so dividing by the target's max weight changes nothing but the range.
layout(local_size_x = 256) in;
#include "common.glsl"
#include "splat_taps.glsl"

void main() {
    const int i = int(gl_GlobalInvocationID.x);
    if (i >= pc.width * pc.height) return;
    bool inside;
    int x0, y0;
    vec4 taps;
    forEachTap(i, inside, x0, y0, taps);
    if (!inside) return;
    const float w = weight[i];
    const vec3 c = unpackColour(reference[i]);
    for (int t = 0; t < 4; ++t) {
        const int target = tapTarget(t, x0, y0, taps[t]);
        if (target < 0) continue;
        const float tw = taps[t] * (w / uintBitsToFloat(targetMax[target]));
        atomicAdd(accumU[4 * target + 0], uint(round(tw * c.x * kColourScale)));
        atomicAdd(accumU[4 * target + 1], uint(round(tw * c.y * kColourScale)));
        atomicAdd(accumU[4 * target + 2], uint(round(tw * c.z * kColourScale)));
        atomicAdd(accumU[4 * target + 3], uint(round(tw * kWeightScale)));
    }
}
