// Shared declarations of the splat pipeline. Every kernel sees the same descriptor set (one pipeline layout).
// The arithmetic mirrors the CPU reference (engine/SoftmaxSplatter.cpp, engine/HoleFill.cpp) operation by
// operation, so parity is limited by summation order only.

// Coefficients [K][4][ceil(HW/4)] vec4, split into chunks of whole bands so each binding stays within the
// device's maxStorageBufferRange (128 MiB on lavapipe).
const int kMaxCoefficientChunks = 8;
layout(std430, set = 0, binding = 0) readonly buffer Coefficients { vec4 coeff4[]; } chunks[kMaxCoefficientChunks];
layout(std430, set = 0, binding = 1) readonly buffer Weights { float weight[]; };      // exp(Z - 20)
layout(std430, set = 0, binding = 2) readonly buffer Reference { uint reference[]; }; // packed c0 | c1<<8 | c2<<16
layout(std430, set = 0, binding = 3) buffer Displacement { vec2 displacement[]; };
layout(std430, set = 0, binding = 4) buffer AccumFloat { float accumF[]; };            // [H][W][4]
layout(std430, set = 0, binding = 4) buffer AccumFixed { uint accumU[]; };             // same memory, fixed point
layout(std430, set = 0, binding = 5) buffer TargetMax { uint targetMax[]; };           // float bits of max W
layout(std430, set = 0, binding = 6) buffer Pyramid { vec4 pyramid[]; };               // all levels, (rgb, valid)
layout(std430, set = 0, binding = 7) writeonly buffer Output { uint outputPixels[]; };
layout(std140, set = 0, binding = 8) uniform Coordinates { vec4 q[128]; };              // (re, im) pairs

layout(push_constant) uniform Push {
    int width;
    int height;
    int bands;
    int levelOffset;   // pyramid: this level's first pixel
    int levelWidth;
    int levelHeight;
    int otherOffset;   // pyramid: the finer (push) or coarser (pull) level
    int otherWidth;
    int otherHeight;
    int bandsPerChunk;
} pc;

// Fixed-point scales of the integer-atomic path: every contribution is at most 2^20, so 4096 contributions
// to one pixel fit in 32 bits.
const float kColourScale = 1048576.0 / 255.0;
const float kWeightScale = 1048576.0;

vec2 coordinate(int band) {
    vec4 pair = q[band >> 1];
    return (band & 1) == 0 ? pair.xy : pair.zw;
}

vec3 unpackColour(uint packed) {
    return vec3(float(packed & 0xffu), float((packed >> 8) & 0xffu), float((packed >> 16) & 0xffu));
}
