#version 450
// Displacement synthesis F(p) = Re sum_j S_j(p) q_j (GID §6; q_j = exp(i 2 pi f_j t) for playback).
// Each invocation makes 4 consecutive pixels from vec4 loads (planes are padded to a multiple of 4); every
// pixel's sum runs over the bands in the same order as the CPU reference.
layout(local_size_x = 256) in;
#include "common.glsl"

void main() {
    const int n = pc.width * pc.height;
    const int quads = (n + 3) / 4;
    const int i = int(gl_GlobalInvocationID.x);
    if (i >= quads) return;
    vec4 dx = vec4(0.0), dy = vec4(0.0);
    for (int j = 0; j < pc.bands; ++j) {
        const vec2 c = coordinate(j);
        const int chunk = j / pc.bandsPerChunk;
        const int base = (j - chunk * pc.bandsPerChunk) * 4 * quads + i;
        dx += chunks[chunk].coeff4[base] * c.x - chunks[chunk].coeff4[base + quads] * c.y;
        dy += chunks[chunk].coeff4[base + 2 * quads] * c.x - chunks[chunk].coeff4[base + 3 * quads] * c.y;
    }
    for (int k = 0; k < 4; ++k) {
        const int p = 4 * i + k;
        if (p < n) displacement[p] = vec2(dx[k], dy[k]);
    }
}
