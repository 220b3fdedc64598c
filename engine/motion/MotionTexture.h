#pragma once

#include <vector>

namespace waft::engine {

// GID's motion texture: T displacement fields from the reference frame, sampled uniformly at fps.
// Layout planar float32 [T][2][H][W] (dx, dy) in pixels. A plain value type.
struct MotionTexture {
    int width = 0;
    int height = 0;
    int frames = 0;
    float fps = 0.0f;
    std::vector<float> data;

    size_t planeSize() const { return size_t(width) * size_t(height); }
    float* dx(int t) { return data.data() + size_t(t) * 2 * planeSize(); }
    float* dy(int t) { return dx(t) + planeSize(); }
    const float* dx(int t) const { return data.data() + size_t(t) * 2 * planeSize(); }
    const float* dy(int t) const { return dx(t) + planeSize(); }
    void allocate(int w, int h, int t, float framesPerSec) {
        width = w;
        height = h;
        frames = t;
        fps = framesPerSec;
        data.assign(size_t(t) * 2 * planeSize(), 0.0f);
    }
};

}  // namespace waft::engine
