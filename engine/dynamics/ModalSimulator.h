#pragma once

#include <complex>
#include <vector>

#include "motion/SpectralVolume.h"

namespace waft::engine {

struct ModalParams {
    float dampingRatio = 0.08f;     // xi: ring-down envelope exp(-xi omega t); ~0.08 lets a 1 Hz branch ring ~2 s
    float mobilityFloor = 0.05f;    // see ModalSimulator: pixels that barely move are pulled proportionally less
    float speed = 1.0f;             // the scene's time scale (SceneSettings::speed): omega_j = 2 pi f_j speed
    float holdDampingRatio = 1.0f;  // while a pull is held: the hand damps the branch (critical: no overshoot)
};

// Interactive dynamics on GID's image-space modal basis (Davis et al. 2015; GID §6).
//
// Each band j is a mode with shape S_j(p) in C^2, angular frequency omega_j = 2 pi f_j and complex modal
// coordinate q_j obeying a decoupled, unit-mass, damped oscillator driven by a modal force f_j:
//   q_j'' + 2 xi omega_j q_j' + omega_j^2 q_j = f_j,      F(p, t) = Re sum_j S_j(p) q_j(t).
// A pull at pixel p with drag d is a point force; its generalised force on mode j is the projection of
// d onto the (conjugated) mode shape, f_j = alpha * S_j(p)^H d. At equilibrium q_j = f_j / omega_j^2, so the
// displacement of p along d is alpha * sum_j |S_j(p)^H d|^2 / omega_j^2. alpha is chosen to make that equal
// |d|^2: the grabbed point follows the cursor. Where the scene barely moves (a window frame) the denominator
// is floored at mobilityFloor times the 99th-percentile mobility, so rigid parts stay nearly rigid.
//
// While a pull is held the modes are damped at max(xi, holdDampingRatio) (critical by default), so the scene
// settles onto the cursor without overshooting, as a held branch does; on release they ring down at xi.
//
// Integration: semi-implicit (symplectic) Euler, v += h (f - 2 xi omega v - omega^2 q), q += h v.
// Its update matrix has det = 1 - 2 xi omega h and trace = 2 - 2 xi omega h - (omega h)^2, which is stable
// iff (omega h)^2 + 4 xi (omega h) < 4, i.e. omega h < 2 (sqrt(xi^2 + 1) - xi) (1.85 at xi = 0.08).
// step(dt) sub-steps so that omega_max h <= 0.05: stability needs only omega h < 1.85, but the scheme's damped
// frequency is off by O(xi omega h) (1.7% at xi = 0.2, omega h = 0.16, measured), and at 0.05 it stays
// within 0.5% for xi <= 0.2. The cost is K * substeps complex updates per frame, negligible next to synthesis,
// for any frame step (60-240 Hz or a stalled frame).
//
// Owned by one thread (the engine thread); holds a reference to the volume, which must outlive it.
class ModalSimulator {
public:
    ModalSimulator(const SpectralVolume& volume, ModalParams params = {});

    // Starts or moves a pull: pixel (x, y) is dragged by (dxPx, dyPx) from its rest position. Out-of-image
    // pixels are clamped to the border.
    void setPull(int x, int y, float dxPx, float dyPx);
    void release();  // the force stops; the modes ring down
    void reset();    // everything at rest, no pull

    void step(double dtSec);

    // Sets the damping ratio (clamped to [0, 2]).
    void setDampingRatio(float xi);
    float dampingRatio() const { return m_params.dampingRatio; }

    bool isHeld() const { return m_held; }
    // True while any mode still moves by more than ~1/1000 of its scale.
    bool isMoving() const;
    const std::vector<std::complex<float>>& coordinates() const { return m_q; }
    const std::vector<std::complex<float>>& forces() const { return m_force; }
    // The 99th-percentile mobility that mobilityFloor is a fraction of (the web page export carries it).
    double referenceMobility() const { return m_referenceMobility; }

    // Displacement at one pixel from the current coordinates (the full field: synthesizeDisplacement).
    void displacementAt(int x, int y, float& dx, float& dy) const;

private:
    std::complex<float> shape(int band, int channel, size_t index) const;

    const SpectralVolume& m_volume;
    ModalParams m_params;
    std::vector<double> m_omega;
    std::vector<std::complex<double>> m_qState;
    std::vector<std::complex<double>> m_vState;
    std::vector<std::complex<float>> m_q;  // float mirror of m_qState for synthesis
    std::vector<std::complex<float>> m_force;
    double m_referenceMobility = 0.0;
    bool m_held = false;
};

}  // namespace waft::engine
