#version 450
// Displacement synthesis F(p) = Re sum_j S_j(p) q_j (GID §6; q_j = exp(i 2 pi f_j t) for playback).
layout(local_size_x = 256) in;
#include "common.glsl"

void main() {
    const int i = int(gl_GlobalInvocationID.x);
    const int n = pc.width * pc.height;
    if (i >= n) return;
    float dx = 0.0, dy = 0.0;
    for (int j = 0; j < pc.bands; ++j) {
        const vec2 c = coordinate(j);
        const int base = j * 4 * n + i;
        dx += coeff[base] * c.x - coeff[base + n] * c.y;
        dy += coeff[base + 2 * n] * c.x - coeff[base + 3 * n] * c.y;
    }
    displacement[i] = vec2(dx, dy);
}
