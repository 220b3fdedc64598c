#pragma once

#include <vector>

namespace waft::engine {

// A dense 2D displacement field in pixels, planar (dx, dy), row-major. A plain value type.
struct DisplacementField {
    int width = 0;
    int height = 0;
    std::vector<float> dx;
    std::vector<float> dy;

    size_t size() const { return size_t(width) * size_t(height); }
    void resize(int w, int h) {
        width = w;
        height = h;
        dx.assign(size(), 0.0f);
        dy.assign(size(), 0.0f);
    }
};

}  // namespace waft::engine
