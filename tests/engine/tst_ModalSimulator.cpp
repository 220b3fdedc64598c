// The modal simulator (interactive dynamics): plain GoogleTest, no Qt.
#include <gtest/gtest.h>

#include <cmath>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "GTestSupport.h"
#include "TestSupport.h"
#include "dynamics/ModalSimulator.h"
#include "motion/DisplacementSynth.h"

using namespace waft::engine;

namespace {

// Samples Re q_0(t) after release at rate hz for seconds.
std::vector<double> ringDown(ModalSimulator& sim, double hz, double seconds) {
    std::vector<double> trace;
    for (int n = 0; n < int(seconds * hz); ++n) {
        sim.step(1.0 / hz);
        trace.push_back(sim.coordinates()[0].real());
    }
    return trace;
}

// Frequency from the mean spacing of upward zero crossings (linear interpolation between samples).
double zeroCrossingFrequency(const std::vector<double>& x, double hz) {
    std::vector<double> crossings;
    for (size_t i = 1; i < x.size(); ++i)
        if (x[i - 1] < 0 && x[i] >= 0) crossings.push_back((double(i - 1) + x[i - 1] / (x[i - 1] - x[i])) / hz);
    return double(crossings.size() - 1) / (crossings.back() - crossings.front());
}

// Decay rate from a least-squares fit of log|peak| against time.
double envelopeDecayRate(const std::vector<double>& x, double hz) {
    std::vector<std::pair<double, double>> peaks;
    for (size_t i = 1; i + 1 < x.size(); ++i)
        if (std::abs(x[i]) >= std::abs(x[i - 1]) && std::abs(x[i]) > std::abs(x[i + 1]) && std::abs(x[i]) > 1e-6)
            peaks.emplace_back(double(i) / hz, std::log(std::abs(x[i])));
    double st = 0, sl = 0, stt = 0, stl = 0;
    for (const auto& [t, l] : peaks) {
        st += t;
        sl += l;
        stt += t * t;
        stl += t * l;
    }
    const double n = double(peaks.size());
    return -(n * stl - st * sl) / (n * stt - st * st);
}

}  // namespace

// A single mode released from rest rings at f_d = f sqrt(1 - xi^2) with envelope exp(-xi omega t).
struct RingDownCase {
    std::string name;
    double stepHz;
    double xi;
};

class ModalSimulatorRingDown : public ::testing::TestWithParam<RingDownCase> {};

TEST_P(ModalSimulatorRingDown, SingleModeFrequencyAndDecay) {
    const double stepHz = GetParam().stepHz;
    const double xi = GetParam().xi;
    const float f = 1.5f;
    SpectralVolume v = waft::test::sinusoidalVolume(16, 16, 1, f, 0, 2.0f);
    ModalSimulator sim(v, {float(xi), 0.05f});
    sim.setPull(8, 8, 4.0f, 0.0f);
    for (int n = 0; n < int(40.0 * stepHz); ++n) sim.step(1.0 / stepHz);  // settle under the held force
    float ux, uy;
    sim.displacementAt(8, 8, ux, uy);
    EXPECT_LT(std::abs(ux - 4.0f), 0.02f) << "ux " << ux;  // the grabbed point follows the drag
    sim.release();
    const auto trace = ringDown(sim, stepHz, 6.0);
    const double omega = 2.0 * M_PI * f;
    const double expectedF = f * std::sqrt(1.0 - xi * xi);
    const double measuredF = zeroCrossingFrequency(trace, stepHz);
    const double measuredDecay = envelopeDecayRate(trace, stepHz);
    EXPECT_LT(std::abs(measuredF / expectedF - 1.0), 0.01) << "f " << measuredF << " vs " << expectedF;
    EXPECT_LT(std::abs(measuredDecay / (xi * omega) - 1.0), 0.03) << "decay " << measuredDecay << " vs " << xi * omega;
}

INSTANTIATE_TEST_SUITE_P(ModalSimulator, ModalSimulatorRingDown,
                         ::testing::Values(RingDownCase{"60 Hz, xi 0.05", 60.0, 0.05},
                                           RingDownCase{"240 Hz, xi 0.05", 240.0, 0.05},
                                           RingDownCase{"60 Hz, xi 0.2", 60.0, 0.2}),
                         [](const auto& info) { return waft::test::paramName(info.param.name); });

// While held the modes are critically damped: the grabbed point approaches the drag without overshoot.
// With the hold damping set to the release damping it overshoots, so this test can fail.
TEST(ModalSimulator, HeldPullFollowsWithoutOvershoot) {
    SpectralVolume v = waft::test::sinusoidalVolume(16, 16, 3, 0.7f, 0, 2.0f);
    SpectralVolume b = waft::test::sinusoidalVolume(16, 16, 3, 0.7f, 2, 1.0f);
    std::copy(b.plane(2, 0), b.plane(2, 0) + 4 * b.planeSize(), v.plane(2, 0));
    for (float holdXi : {1.0f, 0.08f}) {
        SCOPED_TRACE(testing::Message() << "hold damping " << holdXi);
        ModalSimulator sim(v, {0.08f, 0.05f, 1.0f, holdXi});
        float peak = 0.0f, ux = 0.0f, uy = 0.0f;
        for (int n = 0; n < 60 * 20; ++n) {
            sim.setPull(8, 8, 6.0f, 0.0f);
            sim.step(1.0 / 60.0);
            sim.displacementAt(8, 8, ux, uy);
            peak = std::max(peak, ux);
        }
        if (holdXi == 1.0f) {
            EXPECT_LE(peak, 6.0f * 1.001f);
            EXPECT_LT(std::abs(ux - 6.0f), 0.01f);
        } else {
            EXPECT_GT(peak, 6.0f * 1.3f);
        }
    }
}

// The scene's speed is a time scale for the dynamics too: twice the speed, twice the ring frequency.
TEST(ModalSimulator, SpeedScalesTheDynamics) {
    SpectralVolume v = waft::test::sinusoidalVolume(8, 8, 1, 0.5f, 0, 2.0f);
    ModalSimulator sim(v, {0.02f, 0.05f, 2.0f});
    sim.setPull(4, 4, 3.0f, 0.0f);
    for (int n = 0; n < 240 * 10; ++n) sim.step(1.0 / 240.0);
    sim.release();
    const auto trace = ringDown(sim, 240.0, 8.0);
    const double f = zeroCrossingFrequency(trace, 240.0);
    EXPECT_LT(std::abs(f / (1.0 * std::sqrt(1.0 - 0.02 * 0.02)) - 1.0), 0.01) << "f " << f;
}

// Projection onto the mode shape: a drag orthogonal to a mode's motion does not excite it.
TEST(ModalSimulator, ForceIsProjectionOntoModeShape) {
    SpectralVolume v = waft::test::sinusoidalVolume(12, 12, 2, 1.0f, 0, 2.0f);        // band 0 moves in x
    SpectralVolume y = waft::test::sinusoidalVolume(12, 12, 2, 1.0f, 1, 1.0f, true);  // band 1 moves in y
    std::copy(y.plane(1, 0), y.plane(1, 0) + 4 * v.planeSize(), v.plane(1, 0));
    ModalSimulator sim(v);
    sim.setPull(6, 6, 0.0f, 3.0f);
    EXPECT_FUZZY_EQ(std::abs(sim.forces()[0]), 0.0f);
    EXPECT_GT(std::abs(sim.forces()[1]), 0.0f);
    sim.setPull(6, 6, 3.0f, 0.0f);
    EXPECT_GT(std::abs(sim.forces()[0]), 0.0f);
    EXPECT_FUZZY_EQ(std::abs(sim.forces()[1]), 0.0f);
}

// A rigid pixel (no motion in the volume) does not move when pulled. A nearly rigid one (1% of the motion)
// moves little and does not fling the scene: without the mobility floor, alpha would make it follow the
// cursor (10 px) and its 100x more mobile neighbours would swing about 1000 px.
TEST(ModalSimulator, RigidPixelsResistPulls) {
    SpectralVolume v = waft::test::sinusoidalVolume(20, 10, 1, 1.0f, 0, 2.0f);
    for (int y = 0; y < 10; ++y) {
        v.plane(0, 0)[size_t(y) * 20] = 0.0f;        // column 0: a window frame
        v.plane(0, 0)[size_t(y) * 20 + 1] *= 0.01f;  // column 1: nearly rigid
    }
    ModalSimulator sim(v);
    sim.setPull(0, 5, 10.0f, 0.0f);
    for (int n = 0; n < 600; ++n) sim.step(1.0 / 60.0);
    float ux, uy;
    sim.displacementAt(0, 5, ux, uy);
    EXPECT_FUZZY_EQ(ux, 0.0f);
    sim.reset();
    sim.setPull(1, 5, 10.0f, 0.0f);
    for (int n = 0; n < 600; ++n) sim.step(1.0 / 60.0);
    sim.displacementAt(1, 5, ux, uy);
    EXPECT_TRUE(ux > 0.0f && ux < 1.0f) << "ux " << ux;
    sim.displacementAt(10, 5, ux, uy);
    EXPECT_LT(std::abs(ux), 20.0f);
}

// Pulls in sequence accumulate on the current state; reset brings everything to rest at once.
TEST(ModalSimulator, SequentialPullsAndReset) {
    SpectralVolume v = waft::test::sinusoidalVolume(16, 16, 3, 0.8f, 1, 2.0f);
    ModalSimulator sim(v);
    EXPECT_FALSE(sim.isMoving());
    sim.setPull(4, 4, 5.0f, 0.0f);
    for (int n = 0; n < 30; ++n) sim.step(1.0 / 60.0);
    sim.release();
    for (int n = 0; n < 10; ++n) sim.step(1.0 / 60.0);
    const auto afterFirst = sim.coordinates()[1];
    sim.setPull(12, 12, -5.0f, 0.0f);
    sim.step(1.0 / 60.0);
    EXPECT_NE(sim.coordinates()[1], afterFirst);
    sim.release();
    EXPECT_TRUE(sim.isMoving());
    for (int n = 0; n < 60 * 120; ++n) sim.step(1.0 / 60.0);  // rings down to rest on its own
    EXPECT_FALSE(sim.isMoving());
    sim.setPull(8, 8, 3.0f, 0.0f);
    sim.step(0.1);
    sim.reset();
    EXPECT_FALSE(sim.isMoving());
    EXPECT_FUZZY_EQ(std::abs(sim.coordinates()[1]), 0.0f);
}

// Stiff high bands with a stalled frame: sub-stepping keeps the integrator stable.
TEST(ModalSimulator, StableForLargeSteps) {
    SpectralVolume v = waft::test::sinusoidalVolume(8, 8, 16, 3.0f, 15, 1.0f);  // f up to 48 Hz
    ModalSimulator sim(v, {0.0f, 0.05f});
    sim.setPull(4, 4, 2.0f, 0.0f);
    for (int n = 0; n < 20; ++n) sim.step(0.25);
    sim.release();
    for (int n = 0; n < 200; ++n) sim.step(1.0 / 30.0);
    for (const auto& q : sim.coordinates()) EXPECT_TRUE(std::isfinite(q.real()) && std::abs(q) < 1e3f) << q;
}
