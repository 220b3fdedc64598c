#pragma once

#include <complex>
#include <cstdint>
#include <opencv2/core/mat.hpp>
#include <vector>

#include "core/Status.h"
#include "motion/DisplacementField.h"
#include "motion/SpectralVolume.h"
#include "raster/HoleFill.h"
#include "raster/RenderBackend.h"

namespace waft::engine {

struct FastRenderParams {
    int nodeStride = 4;                   // coarse grid spacing in pixels: 2, 4, 8 or 16
    int tileSize = 16;                    // error-bound tiles in pixels: a multiple of nodeStride
    float maxDisplacementErrorPx = 0.5f;  // hard cap: no pixel lands further than this from the exact path's
    float maxColourError = 1.0f;          // grey levels: displacement bound times the tile's sharpest step
};

// Pixel layouts the renderer writes: 8-bit BGR (cv::Mat, exports) or R, G, B, 255 (QImage::Format_RGBX8888).
enum class PixelLayout { Bgr, Rgbx };

// The CPU frame path: the same frame as FrameRenderer (synthesis F = Re sum_j S_j q_j, softmax splatting with
// the scene's weights, push-pull hole fill, 8-bit), at a fraction of its memory traffic, with a bound.
//
// Displacement. Synthesis streams 4K floats a pixel and is memory-bound, but the field is smooth. The mode
// shapes are sampled on a coarse grid (every nodeStride pixels) and F is synthesised there, then interpolated
// per pixel with Catmull-Rom (separable, exact at the nodes). Because synthesis is linear, the interpolated
// field's error at pixel p is Re sum_j q_j dS_j(p) with dS_j the interpolation error of mode j, so
//   |F~(p) - F(p)| <= sum_j |q_j| e_j(tile),   e_j(tile) = max over the tile of |dS_j(p)|  (4-vector norm).
// e is measured once per scene. Each frame, a tile whose bound exceeds maxDisplacementErrorPx (a sharp freeze
// edge, a big pull) is synthesised exactly from the full-resolution coefficients instead, so no pixel's
// displacement is ever more than that from the exact path's, whatever the scene or the drive. Between the
// two, tiles that fail the budget at a few times unit drive keep each band's 16-bit residual S_j - S~_j; such
// a tile adds the residuals of only as many bands as its bound needs (largest |q_j| (e_j - e'_j) first), since
// streaming all of them costs as much memory traffic as exact synthesis.
//
// Splat. Fused per source row: its field is made in an L1-sized row buffer, splatted into a ring of
// accumulator rows that holds only the rows still reachable (2 * reach + 3 of them), and each pair of rows
// is normalised, written as 8 bits and pushed into the hole fill's first coarse level as soon as no source
// can reach it any more. Threads own horizontal bands of target rows and each sweeps the source rows that
// can land in its band (its band +- reach), keeping only its own taps: every target pixel sums its sources
// in row-major order whatever the thread count, so frames are bit-identical on any number of cores, and
// with an exact field they equal FrameRenderer's up to float summation order.
//
// Holes. Push-pull as in HoleFill.h: level 1 comes from the resolve pass, the levels above from
// fillHolesPushPull on level 1 (what the full algorithm computes there), then only the holes of level 0 are
// pulled. After the first frame nothing is allocated. Holds a reference to the volume; one thread.
class FastFrameRenderer : public RenderBackend {
public:
    explicit FastFrameRenderer(const SpectralVolume& volume, FastRenderParams params = {});

    const char* name() const override { return "cpu"; }
    Status render(const std::vector<std::complex<float>>& q, cv::Mat& outBgr8) override;
    // Writes straight into a caller's buffer (height rows of `stride` bytes).
    Status renderInto(const std::vector<std::complex<float>>& q, uint8_t* out, size_t stride, PixelLayout layout);

    // The displacement field the last render splatted with (computed again here, for tests and tools).
    void displacementField(const std::vector<std::complex<float>>& q, DisplacementField& out);

    const std::vector<float>& weights() const { return m_weights; }
    // Of the last frame: tiles synthesised exactly, tiles corrected by their 16-bit residual, of how many;
    // holes before filling.
    size_t lastExactTiles() const { return m_lastExactTiles; }
    size_t lastCorrectedTiles() const { return m_lastCorrectedTiles; }
    size_t tileCount() const { return m_tileErr.size() / std::max<size_t>(1, size_t(m_bands)); }
    size_t lastHoleCount() const { return m_lastHoleCount; }
    // Bytes this renderer keeps (coarse modes, error table, source pixels, weights, ring buffers, hole fill),
    // excluding the volume it reads and the output frame.
    size_t workingSetBytes() const;

private:
    static constexpr int kScatterChunk = 256;
    // Tiles that fail the interpolation budget at this many times unit drive keep an 16-bit residual.
    static constexpr float kResidualDrive = 4.0f;
    static constexpr long kResidualLevels = 32767;  // 16-bit residuals: 1/65534 of the largest per step
    enum Tier : uint8_t { kInterpolated, kCorrected, kExact };
    struct Thread {
        std::vector<float> ring;  // ringRows * width * 4: (b w, g w, r w, w) per pixel
        std::vector<float*> rowPtr;
        std::vector<float> dx, dy;  // one source row's field
        std::vector<float> colX, colY;
        std::vector<int> tapX, tapY;  // one scatter chunk's targets
        std::vector<float> fracX, fracY;
        std::vector<uint32_t> holes;  // level-0 hole indices found by this thread
    };

    void prepareFrame(const std::vector<std::complex<float>>& q);
    void rowField(int y, Thread& t) const;
    void sweep(int bandBegin, int bandEnd, Thread& t, uint8_t* out, size_t stride, PixelLayout layout);
    void scatterRow(int y, int lo, int hi, Thread& t) const;
    void resolveRows(int y, int rows, Thread& t, uint8_t* out, size_t stride, PixelLayout layout);
    void fillHoles(uint8_t* out, size_t stride, PixelLayout layout);

    const SpectralVolume& m_volume;
    FastRenderParams m_params;
    int m_width = 0, m_height = 0, m_bands = 0;
    int m_nodesX = 0, m_nodesY = 0;  // padded: one node before, two after, replicated
    int m_strideShift = 3;
    int m_tilesX = 0, m_tilesY = 0;
    std::vector<float> m_nodeCoef;       // [band][4][nodesY][nodesX]
    std::vector<float> m_tileErr;        // [tile][band]
    std::vector<float> m_tileStep;       // [tile]: largest grey step between neighbouring pixels, 1 px around
    std::vector<int> m_residualSlot;     // [tile]: its slot in m_residual, or -1
    std::vector<int16_t> m_residual;     // [slot][row in tile][band][4][column in tile]
    std::vector<float> m_residualScale;  // [slot][band][4]
    std::vector<float> m_residualErr;    // [slot][band]: e' of the 16-bit residual
    std::vector<float> m_phaseW;         // [phase][4] Catmull-Rom weights
    std::vector<uint32_t> m_source;      // B, G, R, 1 as bytes
    std::vector<float> m_weights;

    // Per frame.
    std::vector<int> m_active;
    std::vector<float> m_qr, m_qi;
    std::vector<float> m_qAbs;  // |q_j| of the active bands
    std::vector<float> m_nodeX, m_nodeY;
    std::vector<uint8_t> m_tileTier;  // kInterpolated, kCorrected or kExact
    // Corrected tiles: the bands whose residual is applied (the fewest, largest savings first, that bring the
    // tile's bound within budget), [tile][up to the active count], and how many.
    std::vector<int> m_tileBands;
    std::vector<int> m_tileBandCount;
    int m_reach = 1;
    int m_ringRows = 0;
    std::vector<Thread> m_threads;
    std::vector<double> m_rowCost;  // per tile row
    std::vector<int> m_bandStart;   // per thread, and the end
    cv::Mat m_level1;
    std::vector<uint8_t> m_level1Holes;
    PushPullScratch m_fillScratch;
    cv::Mat m_bgrScratch;
    size_t m_lastExactTiles = 0;
    size_t m_lastCorrectedTiles = 0;
    size_t m_lastHoleCount = 0;
};

}  // namespace waft::engine
