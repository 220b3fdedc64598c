#version 450
// Level 0 -> 8-bit, rounding half to even and saturating like OpenCV's convertTo.
layout(local_size_x = 256) in;
#include "common.glsl"

void main() {
    const int i = int(gl_GlobalInvocationID.x);
    if (i >= pc.width * pc.height) return;
    const uvec3 c = uvec3(clamp(roundEven(pyramid[i].xyz), 0.0, 255.0));
    outputPixels[i] = c.x | (c.y << 8) | (c.z << 16) | (255u << 24);
}
