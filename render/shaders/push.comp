#version 450
// Push-pull, push: a coarse pixel is the mean of its valid 2x2 children (same order as the CPU).
layout(local_size_x = 256) in;
#include "common.glsl"

void main() {
    const int i = int(gl_GlobalInvocationID.x);
    if (i >= pc.levelWidth * pc.levelHeight) return;
    const int x = i % pc.levelWidth;
    const int y = i / pc.levelWidth;
    vec3 sum = vec3(0.0);
    int count = 0;
    for (int dy = 0; dy < 2; ++dy) {
        const int fy = 2 * y + dy;
        if (fy >= pc.otherHeight) continue;
        for (int dx = 0; dx < 2; ++dx) {
            const int fx = 2 * x + dx;
            if (fx >= pc.otherWidth) continue;
            const vec4 child = pyramid[pc.otherOffset + fy * pc.otherWidth + fx];
            if (child.w == 0.0) continue;
            sum += child.xyz;
            ++count;
        }
    }
    pyramid[pc.levelOffset + i] = count > 0 ? vec4(sum / float(count), 1.0) : vec4(0.0);
}
