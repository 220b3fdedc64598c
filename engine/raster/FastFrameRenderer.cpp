#include "raster/FastFrameRenderer.h"

#include <emmintrin.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "raster/FrameRenderer.h"

namespace waft::engine {

namespace {

// Catmull-Rom weights of the nodes at -1, 0, 1, 2 for a sample at t in [0, 1) between nodes 0 and 1.
void catmullRom(float t, float* w) {
    const float t2 = t * t;
    const float t3 = t2 * t;
    w[0] = 0.5f * (-t + 2.0f * t2 - t3);
    w[1] = 0.5f * (2.0f - 5.0f * t2 + 3.0f * t3);
    w[2] = 0.5f * (t + 4.0f * t2 - 3.0f * t3);
    w[3] = 0.5f * (-t2 + t3);
}

// Sum of |w| over a Catmull-Rom kernel is at most 1.25 (t = 1/2): the interpolant of values bounded by M is
// bounded by 1.25 M per axis.
constexpr float kOvershoot2d = 1.25f * 1.25f;

// One pixel row of a Catmull-Rom interpolant from a padded node grid: `nodes` points at the node row above
// the pixel's (row -1), `wy` are the row's vertical weights. A column pass over the 4 node rows, then cell by
// cell: the stride phases' weights are the same in every cell, so the inner loop vectorises.
void interpolateRow(const float* nodes, int nodesX, const float* wy, const float* phaseW, int stride, int cells,
                    float* column, float* out) {
    const size_t step = size_t(nodesX);
    for (int n = 0; n < nodesX; ++n)
        column[n] =
            wy[0] * nodes[n] + wy[1] * nodes[n + step] + wy[2] * nodes[n + 2 * step] + wy[3] * nodes[n + 3 * step];
    for (int cell = 0; cell < cells; ++cell) {
        const float* c = column + cell;
        float* o = out + size_t(cell) * stride;
        for (int p = 0; p < stride; ++p) {
            const float* w = phaseW + size_t(p) * 4;
            o[p] = w[0] * c[0] + w[1] * c[1] + w[2] * c[2] + w[3] * c[3];
        }
    }
}

typedef float v4f __attribute__((vector_size(16)));
typedef int v4i __attribute__((vector_size(16)));
typedef float v8f __attribute__((vector_size(32)));

inline uint8_t toByte(float v) { return cv::saturate_cast<uint8_t>(v); }  // cvRound, as cv::Mat::convertTo

inline void writePixel(uint8_t* dst, const float* bgr, PixelLayout layout) {
    if (layout == PixelLayout::Bgr) {
        dst[0] = toByte(bgr[0]);
        dst[1] = toByte(bgr[1]);
        dst[2] = toByte(bgr[2]);
    } else {
        dst[0] = toByte(bgr[2]);
        dst[1] = toByte(bgr[1]);
        dst[2] = toByte(bgr[0]);
        dst[3] = 255;
    }
}

}  // namespace

RenderBackendFactory cpuRenderBackend() {
    return [](const SpectralVolume& volume) -> Expected<std::unique_ptr<RenderBackend>> {
        return std::unique_ptr<RenderBackend>(std::make_unique<FastFrameRenderer>(volume));
    };
}

FastFrameRenderer::FastFrameRenderer(const SpectralVolume& volume, FastRenderParams params)
    : m_volume(volume), m_params(params) {
    m_width = volume.width;
    m_height = volume.height;
    m_bands = volume.bands;
    int stride = m_params.nodeStride;
    if (stride != 2 && stride != 4 && stride != 8 && stride != 16) stride = 4;
    m_params.nodeStride = stride;
    m_strideShift = stride == 2 ? 1 : stride == 4 ? 2 : stride == 8 ? 3 : 4;
    m_params.tileSize = std::max(stride, m_params.tileSize / stride * stride);
    if (!(m_params.maxDisplacementErrorPx >= 0.0f)) m_params.maxDisplacementErrorPx = 0.0f;
    if (!(m_params.maxColourError >= 0.0f)) m_params.maxColourError = 0.0f;

    // Nodes at x = i * stride cover [0, width): nodes 0..n-1 with (n - 1) * stride >= width - 1, plus one
    // replicated node before and two after so every Catmull-Rom stencil is in range.
    const int innerX = (std::max(m_width, 1) - 1 + stride - 1) / stride + 1;
    const int innerY = (std::max(m_height, 1) - 1 + stride - 1) / stride + 1;
    m_nodesX = innerX + 3;
    m_nodesY = innerY + 3;
    const size_t nodeCount = size_t(m_nodesX) * size_t(m_nodesY);
    m_nodeCoef.assign(size_t(m_bands) * 4 * nodeCount, 0.0f);
    for (int j = 0; j < m_bands; ++j)
        for (int c = 0; c < 4; ++c) {
            const float* plane = volume.plane(j, c);
            float* nodes = m_nodeCoef.data() + (size_t(j) * 4 + c) * nodeCount;
            for (int ny = 0; ny < m_nodesY; ++ny) {
                const int py = std::clamp((ny - 1) * stride, 0, m_height - 1);
                for (int nx = 0; nx < m_nodesX; ++nx) {
                    const int px = std::clamp((nx - 1) * stride, 0, m_width - 1);
                    nodes[size_t(ny) * m_nodesX + nx] = plane[size_t(py) * m_width + px];
                }
            }
        }
    m_phaseW.resize(size_t(stride) * 4);
    for (int p = 0; p < stride; ++p) catmullRom(float(p) / float(stride), m_phaseW.data() + size_t(p) * 4);

    // The error table: per tile and band, the largest interpolation error of the mode shape (all 4 channels).
    const int tile = m_params.tileSize;
    m_tilesX = (m_width + tile - 1) / tile;
    m_tilesY = (m_height + tile - 1) / tile;
    m_tileErr.assign(size_t(m_tilesX) * m_tilesY * size_t(m_bands), 0.0f);
    std::vector<float> residualMax(m_tileErr.size() * 4, 0.0f);  // [tile][band][channel]: largest |S - S~|
    const int cells = (m_width + stride - 1) / stride;
#pragma omp parallel
    {
        std::vector<float> column(static_cast<size_t>(m_nodesX));
        std::vector<float> interpolated(static_cast<size_t>(cells) * stride);
        std::vector<float> err2(static_cast<size_t>(m_width));
#pragma omp for schedule(dynamic, 1) collapse(2)
        for (int j = 0; j < m_bands; ++j)
            for (int ty = 0; ty < m_tilesY; ++ty) {
                for (int y = ty * tile; y < std::min(m_height, (ty + 1) * tile); ++y) {
                    std::fill(err2.begin(), err2.end(), 0.0f);
                    const float* wy = m_phaseW.data() + size_t(y & (stride - 1)) * 4;
                    const size_t nodeRow = size_t(y >> m_strideShift);
                    for (int c = 0; c < 4; ++c) {
                        const float* nodes = m_nodeCoef.data() + (size_t(j) * 4 + c) * nodeCount + nodeRow * m_nodesX;
                        interpolateRow(nodes, m_nodesX, wy, m_phaseW.data(), stride, cells, column.data(),
                                       interpolated.data());
                        const float* exact = volume.plane(j, c) + size_t(y) * m_width;
                        for (int x = 0; x < m_width; ++x) {
                            const float d = interpolated[size_t(x)] - exact[x];
                            err2[size_t(x)] += d * d;
                        }
                        for (int tx = 0; tx < m_tilesX; ++tx) {
                            float worst = 0.0f;
                            for (int x = tx * tile; x < std::min(m_width, (tx + 1) * tile); ++x)
                                worst = std::max(worst, std::abs(interpolated[size_t(x)] - exact[x]));
                            float& r = residualMax[((size_t(ty) * m_tilesX + tx) * m_bands + j) * 4 + c];
                            r = std::max(r, worst);
                        }
                    }
                    for (int tx = 0; tx < m_tilesX; ++tx) {
                        float worst = 0.0f;
                        for (int x = tx * tile; x < std::min(m_width, (tx + 1) * tile); ++x)
                            worst = std::max(worst, err2[size_t(x)]);
                        float& e = m_tileErr[(size_t(ty) * m_tilesX + tx) * m_bands + j];
                        e = std::max(e, std::sqrt(worst));
                    }
                }
            }
    }

    // The sharpest step in and next to each tile: a displacement error delta moves its colours by about
    // delta times this (first order), which is what the colour budget limits.
    m_tileStep.assign(size_t(m_tilesX) * m_tilesY, 0.0f);
    for (int y = 0; y < m_height; ++y) {
        const uint8_t* row = volume.reference.ptr<uint8_t>(y);
        const uint8_t* below = volume.reference.ptr<uint8_t>(std::min(y + 1, m_height - 1));
        for (int x = 0; x < m_width; ++x) {
            const int right = std::min(x + 1, m_width - 1);
            int step = 0;
            for (int c = 0; c < 3; ++c)
                step = std::max({step, std::abs(int(row[x * 3 + c]) - int(row[right * 3 + c])),
                                 std::abs(int(row[x * 3 + c]) - int(below[x * 3 + c]))});
            // The step between x and x+1 (y and y+1) matters to the tiles of both pixels and their neighbours.
            for (int ty = std::max(0, (y - 1) / tile); ty <= std::min(m_tilesY - 1, (y + 2) / tile); ++ty)
                for (int tx = std::max(0, (x - 1) / tile); tx <= std::min(m_tilesX - 1, (x + 2) / tile); ++tx) {
                    float& s = m_tileStep[size_t(ty) * m_tilesX + tx];
                    s = std::max(s, float(step));
                }
        }
    }

    // Residuals for the tiles interpolation cannot serve at kResidualDrive times unit drive: S - S~ as 16-bit
    // integers with a scale per tile, band and channel, so their exact field costs half of the float
    // coefficients' bytes and is within sum_j |q_j| e'_j of exact, e'_j = |(scale_c / 2)_c|.
    m_residualSlot.assign(size_t(m_tilesX) * m_tilesY, -1);
    int slots = 0;
    for (size_t t = 0; t < m_residualSlot.size(); ++t) {
        float sum = 0.0f;
        for (int j = 0; j < m_bands; ++j) sum += m_tileErr[t * m_bands + j];
        const float bound = kResidualDrive * sum;
        if (bound > m_params.maxDisplacementErrorPx || bound * m_tileStep[t] > m_params.maxColourError)
            m_residualSlot[t] = slots++;
    }
    const size_t slotValues = size_t(tile) * tile * size_t(m_bands) * 4;
    m_residual.assign(size_t(slots) * slotValues, 0);
    m_residualScale.assign(size_t(slots) * m_bands * 4, 0.0f);
    m_residualErr.assign(size_t(slots) * m_bands, 0.0f);
    for (size_t t = 0; t < m_residualSlot.size(); ++t) {
        const int slot = m_residualSlot[t];
        if (slot < 0) continue;
        for (int j = 0; j < m_bands; ++j) {
            float err2 = 0.0f;
            for (int c = 0; c < 4; ++c) {
                const float scale = residualMax[(t * m_bands + j) * 4 + c] / float(kResidualLevels);
                m_residualScale[(size_t(slot) * m_bands + j) * 4 + c] = scale;
                err2 += 0.25f * scale * scale;
            }
            // Half a step of rounding per channel, and a little for float arithmetic.
            m_residualErr[size_t(slot) * m_bands + j] = std::sqrt(err2) * 1.01f + 1e-6f;
        }
    }
    if (slots > 0) {
#pragma omp parallel
        {
            std::vector<float> column(static_cast<size_t>(m_nodesX));
            std::vector<float> interpolated(static_cast<size_t>(cells) * stride);
#pragma omp for schedule(dynamic, 1) collapse(2)
            for (int j = 0; j < m_bands; ++j)
                for (int ty = 0; ty < m_tilesY; ++ty) {
                    const int* rowSlots = m_residualSlot.data() + size_t(ty) * m_tilesX;
                    if (std::all_of(rowSlots, rowSlots + m_tilesX, [](int v) { return v < 0; })) continue;
                    for (int y = ty * tile; y < std::min(m_height, (ty + 1) * tile); ++y) {
                        const float* wy = m_phaseW.data() + size_t(y & (stride - 1)) * 4;
                        const size_t nodeRow = size_t(y >> m_strideShift);
                        for (int c = 0; c < 4; ++c) {
                            const float* nodes =
                                m_nodeCoef.data() + (size_t(j) * 4 + c) * nodeCount + nodeRow * m_nodesX;
                            interpolateRow(nodes, m_nodesX, wy, m_phaseW.data(), stride, cells, column.data(),
                                           interpolated.data());
                            const float* exact = volume.plane(j, c) + size_t(y) * m_width;
                            for (int tx = 0; tx < m_tilesX; ++tx) {
                                const int slot = rowSlots[tx];
                                if (slot < 0) continue;
                                const float scale = m_residualScale[(size_t(slot) * m_bands + j) * 4 + c];
                                int16_t* dst = m_residual.data() + size_t(slot) * slotValues +
                                               ((size_t(y - ty * tile) * m_bands + j) * 4 + c) * tile;
                                for (int x = tx * tile; x < std::min(m_width, (tx + 1) * tile); ++x) {
                                    const float r = scale > 0.0f ? (exact[x] - interpolated[size_t(x)]) / scale : 0.0f;
                                    dst[x - tx * tile] =
                                        int16_t(std::clamp(std::lrint(r), -kResidualLevels, kResidualLevels));
                                }
                            }
                        }
                    }
                }
        }
    }

    // Source pixels as B, G, R, 1 bytes: one 32-bit load becomes the (b, g, r, 1) vector the splat scales.
    m_source.resize(volume.planeSize());
    for (int y = 0; y < m_height; ++y) {
        const uint8_t* row = volume.reference.ptr<uint8_t>(y);
        for (int x = 0; x < m_width; ++x) {
            const uint8_t* p = row + size_t(x) * 3;
            m_source[size_t(y) * m_width + x] = uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | 1u << 24;
        }
    }
    m_weights = sceneSplatWeights(volume);
    m_level1.create((m_height + 1) / 2, (m_width + 1) / 2, CV_32FC4);  // (b, g, r, 1): one vector a pixel
    m_level1Holes.assign(m_level1.total(), 1);
}

size_t FastFrameRenderer::workingSetBytes() const {
    size_t bytes = m_nodeCoef.size() * 4 + m_tileErr.size() * 4 + m_tileStep.size() * 4 + m_source.size() * 4 +
                   m_weights.size() * 4 + (m_nodeX.size() + m_nodeY.size()) * 4 + m_tileTier.size() +
                   m_residual.size() * 2 + m_residualScale.size() * 4 + m_residualErr.size() * 4 +
                   m_residualSlot.size() * 4 + m_level1.total() * 16 + m_level1Holes.size() +
                   (m_tileBands.capacity() + m_tileBandCount.capacity()) * sizeof(int);
    for (const Thread& t : m_threads)
        bytes += t.ring.capacity() * 4 + t.rowPtr.capacity() * sizeof(float*) +
                 (t.dx.capacity() + t.dy.capacity() + t.colX.capacity() + t.colY.capacity()) * 4 +
                 t.holes.capacity() * 4;
    for (const cv::Mat& level : m_fillScratch.levels) bytes += level.total() * level.elemSize();
    for (const auto& holes : m_fillScratch.holes) bytes += holes.capacity();
    return bytes;
}

void FastFrameRenderer::prepareFrame(const std::vector<std::complex<float>>& q) {
    m_active.clear();
    m_qr.assign(size_t(m_bands), 0.0f);
    m_qi.assign(size_t(m_bands), 0.0f);
    for (int j = 0; j < m_bands && size_t(j) < q.size(); ++j) {
        const std::complex<float> v = q[size_t(j)];
        if (v == std::complex<float>(0.0f, 0.0f) || !std::isfinite(v.real()) || !std::isfinite(v.imag())) continue;
        m_active.push_back(j);
        m_qr[size_t(j)] = v.real();
        m_qi[size_t(j)] = v.imag();
    }
    m_qAbs.resize(m_active.size());
    for (size_t a = 0; a < m_active.size(); ++a) m_qAbs[a] = std::abs(q[size_t(m_active[a])]);

    // The coarse field: synthesis at the nodes (a 1/stride^2 share of the exact path's bytes).
    const size_t nodeCount = size_t(m_nodesX) * size_t(m_nodesY);
    m_nodeX.assign(nodeCount, 0.0f);
    m_nodeY.assign(nodeCount, 0.0f);
    // In chunks that keep the two accumulators in L1 while the bands stream through, across the threads.
    constexpr size_t kNodeChunk = 2048;
    const long chunks = long((nodeCount + kNodeChunk - 1) / kNodeChunk);
#pragma omp parallel for schedule(static)
    for (long chunk = 0; chunk < chunks; ++chunk) {
        const size_t begin = size_t(chunk) * kNodeChunk;
        const size_t end = std::min(nodeCount, begin + kNodeChunk);
        float* __restrict ox = m_nodeX.data();
        float* __restrict oy = m_nodeY.data();
        for (int j : m_active) {
            const float qr = m_qr[size_t(j)], qi = m_qi[size_t(j)];
            const float* __restrict rx = m_nodeCoef.data() + (size_t(j) * 4 + 0) * nodeCount;
            const float* __restrict ix = rx + nodeCount;
            const float* __restrict ry = ix + nodeCount;
            const float* __restrict iy = ry + nodeCount;
            for (size_t i = begin; i < end; ++i) {
                ox[i] += rx[i] * qr - ix[i] * qi;
                oy[i] += ry[i] * qr - iy[i] * qi;
            }
        }
    }

    // Each tile's path this frame: the interpolant where its bound allows, else the interpolant plus the
    // 16-bit residual where that bound allows, else exact synthesis from the float coefficients.
    const size_t tiles = size_t(m_tilesX) * m_tilesY;
    const size_t active = m_active.size();
    m_tileTier.assign(tiles, kInterpolated);
    m_tileBands.resize(tiles * std::max<size_t>(active, 1));
    m_tileBandCount.assign(tiles, 0);
    int exactTiles = 0, correctedTiles = 0;
    float worstExactBound = 0.0f;
    const auto fits = [this](float bound, size_t t) {
        return bound <= m_params.maxDisplacementErrorPx && bound * m_tileStep[t] <= m_params.maxColourError;
    };
    const long tileCount = long(tiles);
#pragma omp parallel for schedule(static) reduction(+ : exactTiles, correctedTiles) reduction(max : worstExactBound)
    for (long ti = 0; ti < tileCount; ++ti) {
        const size_t t = size_t(ti);
        const float* e = m_tileErr.data() + t * m_bands;
        float bound = 0.0f;
        for (size_t a = 0; a < active; ++a) bound += m_qAbs[a] * e[m_active[a]];
        if (fits(bound, t)) continue;
        worstExactBound = std::max(worstExactBound, bound);
        const int slot = m_residualSlot[t];
        if (slot >= 0) {
            const float* e8 = m_residualErr.data() + size_t(slot) * m_bands;
            float corrected = 0.0f;
            for (size_t a = 0; a < active; ++a) corrected += m_qAbs[a] * e8[m_active[a]];
            if (fits(corrected, t) && active <= size_t(kMaxBands)) {
                // The residuals of the bands that save most, until the bound fits: the rest stay interpolated
                // (their share of the bound is their interpolation error). Ties keep band order: deterministic.
                int* list = m_tileBands.data() + t * active;
                float saving[kMaxBands];
                for (size_t a = 0; a < active; ++a) {
                    list[a] = int(a);
                    saving[a] = m_qAbs[a] * (e[m_active[a]] - e8[m_active[a]]);
                }
                std::stable_sort(list, list + active, [&](int x, int y) { return saving[x] > saving[y]; });
                // Aimed at 1/1.4 of the budget: the bound is a worst case, and the margin keeps the typical error
                // near the full correction's (at the full budget a test scene's worst pixel went from 8 to 9).
                int used = 0;
                float partial = bound;
                while (used < int(active) && !fits(1.4f * partial, t)) partial -= saving[list[used++]];
                if (!fits(partial, t)) used = int(active);  // rounding: the full correction fits
                for (int u = 0; u < used; ++u) list[u] = m_active[size_t(list[u])];
                m_tileBandCount[t] = used;
                m_tileTier[t] = kCorrected;
                ++correctedTiles;
                continue;
            }
        }
        m_tileTier[t] = kExact;
        ++exactTiles;
    }
    m_lastExactTiles = exactTiles;
    m_lastCorrectedTiles = correctedTiles;

    // How far any pixel can travel vertically: interpolated values overshoot their nodes by at most 1.25^2,
    // and an exact tile is within its bound of the interpolant.
    float maxNodeDy = 0.0f;
    for (float v : m_nodeY) maxNodeDy = std::max(maxNodeDy, std::abs(v));
    const float maxDy = kOvershoot2d * maxNodeDy + worstExactBound + m_params.maxDisplacementErrorPx;
    m_reach = int(std::min(float(m_height), std::ceil(maxDy))) + 1;
    m_ringRows = std::min(2 * m_reach + 3, m_height + 2);
}

void FastFrameRenderer::rowField(int y, Thread& t) const {
    const int stride = m_params.nodeStride;
    const float* wy = m_phaseW.data() + size_t(y & (stride - 1)) * 4;
    const size_t nodeRow = size_t(y >> m_strideShift) * size_t(m_nodesX);
    const int cells = (m_width + stride - 1) / stride;
    float* dx = t.dx.data();
    float* dy = t.dy.data();
    interpolateRow(m_nodeX.data() + nodeRow, m_nodesX, wy, m_phaseW.data(), stride, cells, t.colX.data(), dx);
    interpolateRow(m_nodeY.data() + nodeRow, m_nodesX, wy, m_phaseW.data(), stride, cells, t.colY.data(), dy);
    // Corrected and exact tiles on this row.
    const int tile = m_params.tileSize;
    const uint8_t* tierRow = m_tileTier.data() + size_t(y / tile) * m_tilesX;
    const int* slotRow = m_residualSlot.data() + size_t(y / tile) * m_tilesX;
    const size_t rowOffset = size_t(y) * m_width;
    const size_t slotValues = size_t(tile) * tile * size_t(m_bands) * 4;
    for (int tx = 0; tx < m_tilesX; ++tx) {
        if (tierRow[tx] == kInterpolated) continue;
        const int begin = tx * tile;
        const int end = std::min(m_width, begin + tile);
        if (tierRow[tx] == kCorrected) {
            const size_t t = size_t(y / tile) * m_tilesX + size_t(tx);
            const int* bands = m_tileBands.data() + t * m_active.size();
            const int bandCount = m_tileBandCount[t];
            const int slot = slotRow[tx];
            const int16_t* residual =
                m_residual.data() + size_t(slot) * slotValues + size_t(y - (y / tile) * tile) * m_bands * 4 * tile;
            const float* scale = m_residualScale.data() + size_t(slot) * m_bands * 4;
            float* ox = dx + begin;
            float* oy = dy + begin;
            const int count = end - begin;
            for (int n = 0; n < bandCount; ++n) {
                const int j = bands[n];
                const float qr = m_qr[size_t(j)], qi = m_qi[size_t(j)];
                const float* sc = scale + size_t(j) * 4;
                const float a = sc[0] * qr, b = -sc[1] * qi, c = sc[2] * qr, d = -sc[3] * qi;
                const int16_t* r = residual + size_t(j) * 4 * tile;
                for (int i = 0; i < count; ++i) {
                    ox[i] += a * float(r[i]) + b * float(r[tile + i]);
                    oy[i] += c * float(r[2 * tile + i]) + d * float(r[3 * tile + i]);
                }
            }
            continue;
        }
        std::fill(dx + begin, dx + end, 0.0f);
        std::fill(dy + begin, dy + end, 0.0f);
        for (int j : m_active) {
            const float qr = m_qr[size_t(j)], qi = m_qi[size_t(j)];
            const float* rx = m_volume.plane(j, 0) + rowOffset;
            const float* ix = m_volume.plane(j, 1) + rowOffset;
            const float* ry = m_volume.plane(j, 2) + rowOffset;
            const float* iy = m_volume.plane(j, 3) + rowOffset;
            for (int x = begin; x < end; ++x) {
                dx[x] += rx[x] * qr - ix[x] * qi;
                dy[x] += ry[x] * qr - iy[x] * qi;
            }
        }
    }
}

// Built twice, for AVX2 and for the x86-64 baseline, and picked at load time (GCC's target_clones): the
// vector extension types below become one 256-bit operation or two 128-bit ones. Neither clone contracts to
// FMA, so both give the same bits.
__attribute__((target_clones("avx2", "default"))) void FastFrameRenderer::scatterRow(int y, int lo, int hi,
                                                                                     Thread& t) const {
    const int width = m_width;
    const float fw = float(width);
    const float fh = float(m_height);
    const float fy = float(y);
    const uint32_t* src = m_source.data() + size_t(y) * width;
    const float* weights = m_weights.data() + size_t(y) * width;
    float* const* rows = t.rowPtr.data();
    int* __restrict tapX = t.tapX.data();
    int* __restrict tapY = t.tapY.data();
    float* __restrict fracX = t.fracX.data();
    float* __restrict fracY = t.fracY.data();
    for (int chunk = 0; chunk < width; chunk += kScatterChunk) {
        const int count = std::min(kScatterChunk, width - chunk);
        const float* __restrict dx = t.dx.data() + chunk;
        const float* __restrict dy = t.dy.data() + chunk;
        // Targets of the chunk, branch-free so it vectorises; off-image (and NaN) targets get row -3, below
        // any band.
        const float fx = float(chunk);
        for (int i = 0; i < count; ++i) {
            const float tx = fx + float(i) + dx[i];
            const float ty = fy + dy[i];
            const int inside = int(tx > -1.0f) & int(tx < fw) & int(ty > -1.0f) & int(ty < fh);
            // Clamped first (NaN becomes -1), so the conversions are defined; floor: truncate, then step
            // down where that rounded up (negative values).
            float sx = tx > -1.0f ? tx : -1.0f;
            float sy = ty > -1.0f ? ty : -1.0f;
            sx = sx < fw ? sx : fw;
            sy = sy < fh ? sy : fh;
            int x0 = int(sx);
            int y0 = int(sy);
            x0 -= int(float(x0) > sx);
            y0 -= int(float(y0) > sy);
            tapX[i] = x0;
            tapY[i] = inside ? y0 : -3;
            fracX[i] = sx - float(x0);
            fracY[i] = sy - float(y0);
        }
        // Even source pixels, then odd ones: neighbours land on neighbouring cells, so this keeps each
        // read-modify-write from waiting on the previous pixel's store. The order is fixed: deterministic.
        for (int parity = 0; parity < 2; ++parity)
            for (int i = parity; i < count; i += 2) {
                const int x0 = tapX[i];
                const int y0 = tapY[i];
                if (y0 + 1 < lo || y0 >= hi) continue;  // outside the image or this thread's band
                const float ax = fracX[i];
                const float ay = fracY[i];
                const uint32_t packed = src[chunk + i];
                const v4i bytes = {int(packed & 0xff), int((packed >> 8) & 0xff), int((packed >> 16) & 0xff), 1};
                const v4f pixel = __builtin_convertvector(bytes, v4f) * weights[chunk + i];
                const float t0 = (1 - ax) * (1 - ay), t1 = ax * (1 - ay), t2 = (1 - ax) * ay, t3 = ax * ay;
                if (x0 >= 0 && x0 + 1 < width && y0 >= lo && y0 + 1 < hi) {
                    // Interior: both cells of each tap row are one 8-float vector.
                    const v8f pair = __builtin_shufflevector(pixel, pixel, 0, 1, 2, 3, 0, 1, 2, 3);
                    const v8f top = {t0, t0, t0, t0, t1, t1, t1, t1};
                    const v8f bottom = {t2, t2, t2, t2, t3, t3, t3, t3};
                    float* r0 = rows[y0] + size_t(x0) * 4;
                    float* r1 = rows[y0 + 1] + size_t(x0) * 4;
                    v8f a, b;
                    std::memcpy(&a, r0, sizeof a);
                    std::memcpy(&b, r1, sizeof b);
                    a += pair * top;
                    b += pair * bottom;
                    std::memcpy(r0, &a, sizeof a);
                    std::memcpy(r1, &b, sizeof b);
                    continue;
                }
                const float taps[4] = {t0, t1, t2, t3};
                for (int k = 0; k < 4; ++k) {
                    const int qx = x0 + (k & 1);
                    const int qy = y0 + (k >> 1);
                    if (taps[k] <= 0.0f || qx < 0 || qx >= width || qy < lo || qy >= hi) continue;
                    float* cell = rows[qy] + size_t(qx) * 4;
                    v4f c;
                    std::memcpy(&c, cell, sizeof c);
                    c += pixel * taps[k];
                    std::memcpy(cell, &c, sizeof c);
                }
            }
    }
}

void FastFrameRenderer::resolveRows(int y, int rows, Thread& t, uint8_t* out, size_t stride, PixelLayout layout) {
    const int width = m_width;
    const bool bgr = layout == PixelLayout::Bgr;
    const int bytesPerPixel = bgr ? 3 : 4;
    float* level1 = m_level1.ptr<float>(y / 2);
    uint8_t* level1Holes = m_level1Holes.data() + size_t(y / 2) * m_level1.cols;
    float* acc[2] = {t.rowPtr[y], rows > 1 ? t.rowPtr[y + 1] : t.rowPtr[y]};
    uint8_t* dst[2] = {out + size_t(y) * stride, rows > 1 ? out + size_t(y + 1) * stride : nullptr};
    const __m128 zero = _mm_setzero_ps();
    const __m128 one = _mm_set1_ps(1.0f);
    const __m128i opaque = _mm_set1_epi32(int(0xff000000u));
    const auto write = [&](uint8_t* pixel, __m128 value) {
        // Round half to even (cvRound, as cv::Mat::convertTo), saturate to 0..255.
        const __m128i words = _mm_packs_epi32(_mm_cvtps_epi32(value), _mm_setzero_si128());
        if (bgr) {
            const uint32_t packed = uint32_t(_mm_cvtsi128_si32(_mm_packus_epi16(words, words)));
            pixel[0] = uint8_t(packed);
            pixel[1] = uint8_t(packed >> 8);
            pixel[2] = uint8_t(packed >> 16);
        } else {
            const __m128i rgb = _mm_shufflelo_epi16(words, _MM_SHUFFLE(3, 0, 1, 2));
            const int packed = _mm_cvtsi128_si32(_mm_or_si128(_mm_packus_epi16(rgb, rgb), opaque));
            std::memcpy(pixel, &packed, 4);
        }
    };
    for (int cx = 0; cx < m_level1.cols; ++cx) {
        // The 2x2 children in the order push() visits them (row, then column), so level 1 is the reference's.
        const int x = 2 * cx;
        const bool pair = x + 1 < width;
        __m128 cell[4];
        cell[0] = _mm_loadu_ps(acc[0] + size_t(x) * 4);
        cell[1] = pair ? _mm_loadu_ps(acc[0] + size_t(x + 1) * 4) : zero;
        cell[2] = rows > 1 ? _mm_loadu_ps(acc[1] + size_t(x) * 4) : zero;
        cell[3] = rows > 1 && pair ? _mm_loadu_ps(acc[1] + size_t(x + 1) * 4) : zero;
        // The ring rows are reused for later rows.
        _mm_storeu_ps(acc[0] + size_t(x) * 4, zero);
        if (pair) _mm_storeu_ps(acc[0] + size_t(x + 1) * 4, zero);
        if (rows > 1) {
            _mm_storeu_ps(acc[1] + size_t(x) * 4, zero);
            if (pair) _mm_storeu_ps(acc[1] + size_t(x + 1) * 4, zero);
        }
        // The four weights in one vector: one division gives the reciprocals the reference computes.
        __m128 w01 = _mm_unpackhi_ps(cell[0], cell[1]);  // (b0, b1, w0, w1)
        __m128 w23 = _mm_unpackhi_ps(cell[2], cell[3]);
        const __m128 weights = _mm_movehl_ps(w23, w01);  // (w0, w1, w2, w3)
        const __m128 valid = _mm_cmpgt_ps(weights, zero);
        const int mask = _mm_movemask_ps(valid);
        alignas(16) float inv[4];
        _mm_store_ps(
            inv, _mm_and_ps(_mm_div_ps(one, _mm_or_ps(_mm_and_ps(valid, weights), _mm_andnot_ps(valid, one))), valid));
        __m128 sum = zero;
        int count = 0;
        for (int k = 0; k < 4; ++k) {
            const int r = k >> 1;
            const int px = x + (k & 1);
            if (r >= rows || px >= width) continue;
            if (!(mask & (1 << k))) {
                t.holes.push_back(uint32_t(size_t(y + r) * width + px));
                continue;
            }
            const __m128 value = _mm_mul_ps(cell[k], _mm_set1_ps(inv[k]));
            sum = _mm_add_ps(sum, value);
            ++count;
            write(dst[r] + size_t(px) * bytesPerPixel, value);
        }
        _mm_storeu_ps(level1 + size_t(cx) * 4, count ? _mm_div_ps(sum, _mm_set1_ps(float(count))) : zero);
        level1Holes[cx] = count ? 0 : 1;
    }
}

void FastFrameRenderer::sweep(int bandBegin, int bandEnd, Thread& t, uint8_t* out, size_t stride, PixelLayout layout) {
    t.holes.clear();
    if (bandBegin >= bandEnd) return;
    const size_t rowFloats = size_t(m_width) * 4;
    t.ring.resize(size_t(m_ringRows) * rowFloats);
    std::memset(t.ring.data(), 0, t.ring.size() * sizeof(float));
    t.rowPtr.assign(size_t(m_height), nullptr);
    for (int y = bandBegin; y < bandEnd; ++y)
        t.rowPtr[size_t(y)] = t.ring.data() + size_t((y - bandBegin) % m_ringRows) * rowFloats;
    const int paddedWidth = ((m_width + m_params.nodeStride - 1) / m_params.nodeStride) * m_params.nodeStride;
    t.dx.resize(size_t(paddedWidth));
    t.dy.resize(size_t(paddedWidth));
    t.colX.resize(size_t(m_nodesX));
    t.colY.resize(size_t(m_nodesX));
    t.tapX.resize(kScatterChunk);
    t.tapY.resize(kScatterChunk);
    t.fracX.resize(kScatterChunk);
    t.fracY.resize(kScatterChunk);

    const int sourceBegin = std::max(0, bandBegin - m_reach);
    const int sourceEnd = std::min(m_height, bandEnd + m_reach);
    int next = bandBegin;  // first row not yet resolved (even, as bandBegin)
    for (int y = sourceBegin; y < sourceEnd; ++y) {
        rowField(y, t);
        // Rows this source row may touch: |dy| <= reach - 1, two tap rows. Anything else is dropped (never
        // happens with a correct reach; the window keeps the ring safe regardless).
        const int lo = std::max(next, y - m_reach);
        const int hi = std::min(bandEnd, y + m_reach + 1);
        scatterRow(y, lo, hi, t);
        // Source row y touches rows up to y + reach, so once it is splatted every row r with r + reach <= y is
        // final; rows are resolved in pairs (a level-1 row each).
        while (next < bandEnd) {
            const int rows = std::min(2, bandEnd - next);
            if (next + rows - 1 + m_reach > y) break;
            resolveRows(next, rows, t, out, stride, layout);
            next += rows;
        }
    }
    while (next < bandEnd) {
        const int rows = std::min(2, bandEnd - next);
        resolveRows(next, rows, t, out, stride, layout);
        next += rows;
    }
}

void FastFrameRenderer::fillHoles(uint8_t* out, size_t stride, PixelLayout layout) {
    size_t holes = 0;
    for (const Thread& t : m_threads) holes += t.holes.size();
    m_lastHoleCount = holes;
    if (holes == 0) return;
    fillHolesPushPull(m_level1, m_level1Holes, &m_fillScratch);
    const int bytesPerPixel = layout == PixelLayout::Bgr ? 3 : 4;
    const long threadCount = long(m_threads.size());
#pragma omp parallel for schedule(static, 1)
    for (long i = 0; i < threadCount; ++i)
        for (uint32_t index : m_threads[size_t(i)].holes) {
            const int x = int(index % uint32_t(m_width));
            const int y = int(index / uint32_t(m_width));
            float value[4];
            pullSample(m_level1, x, y, value);
            writePixel(out + size_t(y) * stride + size_t(x) * bytesPerPixel, value, layout);
        }
}

Status FastFrameRenderer::renderInto(const std::vector<std::complex<float>>& q, uint8_t* out, size_t stride,
                                     PixelLayout layout) {
    if (m_width <= 0 || m_height <= 0 || m_volume.coefficients.size() != size_t(m_bands) * 4 * m_volume.planeSize())
        return Status::invalid("the renderer's volume is empty or changed size");
    const size_t rowBytes = size_t(m_width) * (layout == PixelLayout::Bgr ? 3 : 4);
    if (!out || stride < rowBytes) return Status::invalid("render target too small for the frame");
    prepareFrame(q);

    // Bands of target rows, one per thread, with even boundaries (level-1 rows are pairs).
    const int threads = std::max(1, std::min(omp_get_max_threads(), (m_height + 1) / 2));
    if (m_threads.size() != size_t(threads)) m_threads.resize(size_t(threads));
    // Bands of equal estimated cost: a row costs its pixels, plus its corrected and exact tiles' synthesis
    // (measured: a corrected pixel about as much again, an exact one about four times).
    const int tile = m_params.tileSize;
    m_rowCost.assign(size_t(m_tilesY), 0.0);
    for (int ty = 0; ty < m_tilesY; ++ty) {
        double cost = double(m_width);
        for (int tx = 0; tx < m_tilesX; ++tx) {
            const uint8_t tier = m_tileTier[size_t(ty) * m_tilesX + tx];
            cost += tier == kCorrected ? tile : tier == kExact ? 4.0 * tile : 0.0;
        }
        m_rowCost[size_t(ty)] = cost;
    }
    double total = 0.0;
    for (int y = 0; y < m_height; ++y) total += m_rowCost[size_t(y / tile)];
    m_bandStart.assign(size_t(threads) + 1, m_height);
    m_bandStart[0] = 0;
    double running = 0.0;
    int band = 1;
    for (int y = 0; y < m_height && band < threads; y += 2) {
        if (running >= total * band / threads) m_bandStart[size_t(band++)] = y;
        running += m_rowCost[size_t(y / tile)] + (y + 1 < m_height ? m_rowCost[size_t((y + 1) / tile)] : 0.0);
    }
#pragma omp parallel for schedule(static, 1) num_threads(threads)
    for (int i = 0; i < threads; ++i)
        sweep(m_bandStart[size_t(i)], m_bandStart[size_t(i) + 1], m_threads[size_t(i)], out, stride, layout);
    fillHoles(out, stride, layout);
    return Status::ok();
}

Status FastFrameRenderer::render(const std::vector<std::complex<float>>& q, cv::Mat& outBgr8) {
    outBgr8.create(m_height, m_width, CV_8UC3);
    return renderInto(q, outBgr8.data, outBgr8.step, PixelLayout::Bgr);
}

void FastFrameRenderer::displacementField(const std::vector<std::complex<float>>& q, DisplacementField& out) {
    prepareFrame(q);
    out.resize(m_width, m_height);
    Thread t;
    const int paddedWidth = ((m_width + m_params.nodeStride - 1) / m_params.nodeStride) * m_params.nodeStride;
    t.dx.resize(size_t(paddedWidth));
    t.dy.resize(size_t(paddedWidth));
    t.colX.resize(size_t(m_nodesX));
    t.colY.resize(size_t(m_nodesX));
    for (int y = 0; y < m_height; ++y) {
        rowField(y, t);
        std::copy_n(t.dx.data(), m_width, out.dx.data() + size_t(y) * m_width);
        std::copy_n(t.dy.data(), m_width, out.dy.data() + size_t(y) * m_width);
    }
}

}  // namespace waft::engine
