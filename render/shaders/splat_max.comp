#version 450
// Integer path, pass 1: the largest softmax weight landing on each target (W > 0, so its float bits order
// like the values). Pass 2 splats W / max, which is <= 1 and so fits fixed point whatever Z's range.
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
    const uint bits = floatBitsToUint(weight[i]);
    for (int t = 0; t < 4; ++t) {
        const int target = tapTarget(t, x0, y0, taps[t]);
        if (target >= 0) atomicMax(targetMax[target], bits);
    }
}
