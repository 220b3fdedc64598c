#include "dynamics/ModalSimulator.h"

#include <algorithm>
#include <cmath>

namespace waft::engine {

namespace {
constexpr double kMaxOmegaStep = 0.05;  // see the header: accuracy, not stability, sets this
}

ModalSimulator::ModalSimulator(const SpectralVolume& volume, ModalParams params) : m_volume(volume), m_params(params) {
    const size_t k = size_t(volume.bands);
    m_omega.resize(k);
    const double speed = std::isfinite(params.speed) && params.speed > 0.0f ? double(params.speed) : 1.0;
    for (size_t j = 0; j < k; ++j) m_omega[j] = 2.0 * M_PI * double(volume.frequenciesHz[j]) * speed;
    m_qState.assign(k, 0.0);
    m_vState.assign(k, 0.0);
    m_q.assign(k, 0.0f);
    m_force.assign(k, 0.0f);
    setDampingRatio(params.dampingRatio);

    // Mobility of a pixel: sum_j |S_j(p)|^2 / omega_j^2, its static compliance to a unit force. The 99th
    // percentile over a strided sample of pixels is the scene's reference.
    const size_t n = volume.planeSize();
    const size_t strideStep = std::max<size_t>(1, n / 65536);
    std::vector<double> mobility;
    for (size_t i = 0; i < n; i += strideStep) {
        double m = 0.0;
        for (int j = 0; j < volume.bands; ++j) {
            double s2 = 0.0;
            for (int c = 0; c < 4; ++c) s2 += double(volume.plane(j, c)[i]) * volume.plane(j, c)[i];
            m += s2 / (m_omega[size_t(j)] * m_omega[size_t(j)]);
        }
        mobility.push_back(m);
    }
    if (!mobility.empty()) {
        const size_t idx = std::min(mobility.size() - 1, size_t(0.99 * double(mobility.size())));
        std::nth_element(mobility.begin(), mobility.begin() + long(idx), mobility.end());
        m_referenceMobility = mobility[idx];
    }
}

std::complex<float> ModalSimulator::shape(int band, int channel, size_t index) const {
    return {m_volume.plane(band, 2 * channel)[index], m_volume.plane(band, 2 * channel + 1)[index]};
}

void ModalSimulator::setPull(int x, int y, float dxPx, float dyPx) {
    x = std::clamp(x, 0, m_volume.width - 1);
    y = std::clamp(y, 0, m_volume.height - 1);
    const size_t index = size_t(y) * size_t(m_volume.width) + size_t(x);
    const double dragSq = double(dxPx) * dxPx + double(dyPx) * dyPx;
    std::vector<std::complex<double>> projection(m_force.size());
    double compliance = 0.0;  // sum_j |S_j^H d|^2 / omega_j^2
    for (int j = 0; j < m_volume.bands; ++j) {
        const std::complex<double> sx = shape(j, 0, index);
        const std::complex<double> sy = shape(j, 1, index);
        projection[size_t(j)] = std::conj(sx) * double(dxPx) + std::conj(sy) * double(dyPx);
        compliance += std::norm(projection[size_t(j)]) / (m_omega[size_t(j)] * m_omega[size_t(j)]);
    }
    const double floor = double(m_params.mobilityFloor) * m_referenceMobility * dragSq;
    const double denominator = std::max(compliance, floor);
    const double alpha = denominator > 0.0 ? dragSq / denominator : 0.0;
    for (size_t j = 0; j < m_force.size(); ++j) m_force[j] = std::complex<float>(alpha * projection[j]);
    m_held = true;
}

void ModalSimulator::release() {
    std::fill(m_force.begin(), m_force.end(), std::complex<float>(0.0f));
    m_held = false;
}

void ModalSimulator::reset() {
    release();
    std::fill(m_qState.begin(), m_qState.end(), 0.0);
    std::fill(m_vState.begin(), m_vState.end(), 0.0);
    std::fill(m_q.begin(), m_q.end(), std::complex<float>(0.0f));
}

void ModalSimulator::setDampingRatio(float xi) {
    m_params.dampingRatio = std::isfinite(xi) ? std::clamp(xi, 0.0f, 2.0f) : 0.08f;
}

void ModalSimulator::step(double dtSec) {
    if (!(dtSec > 0.0) || m_omega.empty()) return;
    dtSec = std::min(dtSec, 0.25);  // a stalled frame must not fling the scene
    const double omegaMax = *std::max_element(m_omega.begin(), m_omega.end());
    const int substeps = std::max(1, int(std::ceil(omegaMax * dtSec / kMaxOmegaStep)));
    const double h = dtSec / substeps;
    const double xi = m_held ? std::max(m_params.dampingRatio, m_params.holdDampingRatio) : m_params.dampingRatio;
    for (size_t j = 0; j < m_omega.size(); ++j) {
        const double w = m_omega[j];
        const std::complex<double> f = std::complex<double>(m_force[j]);
        std::complex<double> q = m_qState[j];
        std::complex<double> v = m_vState[j];
        for (int s = 0; s < substeps; ++s) {
            v += h * (f - 2.0 * xi * w * v - w * w * q);
            q += h * v;
        }
        m_qState[j] = q;
        m_vState[j] = v;
        m_q[j] = std::complex<float>(q);
    }
}

bool ModalSimulator::isMoving() const {
    if (m_held) return true;
    for (size_t j = 0; j < m_omega.size(); ++j)
        if (std::abs(m_qState[j]) > 1e-3 || std::abs(m_vState[j]) / m_omega[j] > 1e-3) return true;
    return false;
}

void ModalSimulator::displacementAt(int x, int y, float& dx, float& dy) const {
    x = std::clamp(x, 0, m_volume.width - 1);
    y = std::clamp(y, 0, m_volume.height - 1);
    const size_t index = size_t(y) * size_t(m_volume.width) + size_t(x);
    std::complex<float> sum[2] = {};
    for (int j = 0; j < m_volume.bands; ++j) {
        sum[0] += shape(j, 0, index) * m_q[size_t(j)];
        sum[1] += shape(j, 1, index) * m_q[size_t(j)];
    }
    dx = sum[0].real();
    dy = sum[1].real();
}

}  // namespace waft::engine
