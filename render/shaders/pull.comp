#version 450
// Push-pull, pull: holes take the bilinear sample (half-pixel centres, clamped) of the complete coarser level.
layout(local_size_x = 256) in;
#include "common.glsl"

void main() {
    const int i = int(gl_GlobalInvocationID.x);
    if (i >= pc.levelWidth * pc.levelHeight) return;
    const vec4 self = pyramid[pc.levelOffset + i];
    if (self.w != 0.0) return;
    const int x = i % pc.levelWidth;
    const int y = i / pc.levelWidth;
    const float cy = clamp((float(y) + 0.5) * 0.5 - 0.5, 0.0, float(pc.otherHeight - 1));
    const float cx = clamp((float(x) + 0.5) * 0.5 - 0.5, 0.0, float(pc.otherWidth - 1));
    const int y0 = int(cy), x0 = int(cx);
    const int y1 = min(y0 + 1, pc.otherHeight - 1), x1 = min(x0 + 1, pc.otherWidth - 1);
    const float wy = cy - float(y0), wx = cx - float(x0);
    const int o = pc.otherOffset, w = pc.otherWidth;
    const vec3 top = pyramid[o + y0 * w + x0].xyz * (1.0 - wx) + pyramid[o + y0 * w + x1].xyz * wx;
    const vec3 bottom = pyramid[o + y1 * w + x0].xyz * (1.0 - wx) + pyramid[o + y1 * w + x1].xyz * wx;
    // Filled pixels keep w = 0: finer levels sample colours only, so the flag no longer matters.
    pyramid[pc.levelOffset + i] = vec4(top * (1.0 - wy) + bottom * wy, 0.0);
}
