#version 450
// Softmax splat with float atomics (VK_EXT_shader_atomic_float): accum += tap * W * (c, 1).
#extension GL_EXT_shader_atomic_float : require
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
        const float tw = taps[t] * w;
        atomicAdd(accumF[4 * target + 0], tw * c.x);
        atomicAdd(accumF[4 * target + 1], tw * c.y);
        atomicAdd(accumF[4 * target + 2], tw * c.z);
        atomicAdd(accumF[4 * target + 3], tw);
    }
}
