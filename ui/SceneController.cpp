#include "SceneController.h"

#include <algorithm>

#include <cmath>

#include "jobs/SceneAnimator.h"
#include "motion/DisplacementSynth.h"

namespace waft::ui {

SceneController::SceneController(QObject* parent) : QObject(parent) {}

void SceneController::setScene(std::shared_ptr<const engine::Scene> scene) {
    m_scene = std::move(scene);
    m_volume = m_scene ? std::shared_ptr<const engine::SpectralVolume>(m_scene, &m_scene->volume) : nullptr;
    m_settings = m_scene ? m_scene->settings : engine::SceneSettings{};
    if (m_scene) m_settings.bandGains.resize(size_t(m_scene->volume.bands), 1.0f);
    resetSimulator();
    m_playhead = 0.0;
    m_lastTime = -1.0;
    replan();
    m_clip = m_scene && m_scene->source.isVideo() ? std::make_pair(m_scene->source.startSec, m_scene->source.endSec)
                                                  : std::make_pair(0.0, 0.0);
    emit sceneChanged();
    emit clipRangeChanged(m_clip.first, m_clip.second);
    emit settingsChanged(m_settings);
}

void SceneController::resetSimulator() {
    m_sim.reset();
    if (!m_scene) return;
    engine::ModalParams modal;
    modal.dampingRatio = m_settings.dampingRatio;
    modal.speed = m_settings.speed;
    m_sim = std::make_unique<engine::ModalSimulator>(*m_volume, modal);
}

std::shared_ptr<const engine::SpectralVolume> SceneController::volume() const { return m_volume; }

void SceneController::setClipRange(double inSec, double outSec) {
    if (m_scene && m_scene->source.isVideo()) {  // widgets round: keep the clip inside the real source range
        inSec = std::clamp(inSec, m_scene->source.startSec, m_scene->source.endSec);
        outSec = std::clamp(outSec, m_scene->source.startSec, m_scene->source.endSec);
    }
    if (std::make_pair(inSec, outSec) == m_clip) return;
    m_clip = {inSec, outSec};
    emit clipRangeChanged(inSec, outSec);
}

engine::Expected<engine::VideoClip> SceneController::selectedClip() const {
    if (!m_scene) return engine::Status::invalid("no scene is open");
    return engine::clipOf(m_scene->source, m_clip.first, m_clip.second);
}

std::shared_ptr<engine::Scene> SceneController::snapshot() const {
    if (!m_scene) return nullptr;
    auto copy = std::make_shared<engine::Scene>(*m_scene);
    copy->settings = m_settings;
    return copy;
}

void SceneController::replan() {
    if (!m_scene) return;
    const float loop = engine::defaultLoopSec(m_scene->volume, m_settings);
    std::vector<float> freqs = m_scene->volume.frequenciesHz;
    for (float& f : freqs) f *= m_settings.speed;
    m_plan = engine::planLoop(m_scene->volume, freqs, loop, 30.0f);
    m_playhead = std::fmod(m_playhead, double(m_plan.loopSec));
}

bool SceneController::coordinatesAt(double timeSec, std::vector<std::complex<float>>& q) {
    if (!m_scene) {
        q.clear();
        return false;
    }
    const double dt = m_lastTime < 0.0 ? 0.0 : std::clamp(timeSec - m_lastTime, 0.0, 0.25);
    m_lastTime = timeSec;
    if (m_playing && dt > 0.0) {
        m_playhead = std::fmod(m_playhead + dt, double(m_plan.loopSec));
        emit playheadChanged(m_playhead);
    }
    q = engine::playbackPhasors(m_plan.frequenciesHz, m_plan.startSec + m_playhead);
    for (size_t j = 0; j < q.size(); ++j) q[j] *= m_settings.globalGain * m_settings.bandGains[j];
    if (m_sim) {
        if (dt > 0.0) m_sim->step(dt);
        const auto& modal = m_sim->coordinates();
        for (size_t j = 0; j < q.size() && j < modal.size(); ++j) q[j] += modal[j];
    }
    return m_playing || isRinging();
}

void SceneController::press(QPointF scenePos) {
    if (!m_sim) return;
    m_grab = scenePos;
    ++m_pulls;
    m_sim->setPull(int(std::lround(scenePos.x())), int(std::lround(scenePos.y())), 0.0f, 0.0f);
}

void SceneController::drag(QPointF scenePos) {
    if (!m_sim || !m_sim->isHeld()) return;
    const QPointF d = scenePos - m_grab;
    m_sim->setPull(int(std::lround(m_grab.x())), int(std::lround(m_grab.y())), float(d.x()), float(d.y()));
}

void SceneController::release() {
    if (m_sim) m_sim->release();
}

void SceneController::resetMotion() {
    if (m_sim) m_sim->reset();
}

void SceneController::setPlaying(bool playing) {
    if (playing == m_playing) return;
    m_playing = playing;
    emit playingChanged(playing);
}

void SceneController::seek(double sec) {
    if (!m_scene) return;
    m_playhead = std::clamp(sec, 0.0, double(m_plan.loopSec));
    emit playheadChanged(m_playhead);
}

void SceneController::setSettings(const engine::SceneSettings& settings) {
    const bool timing = settings.speed != m_settings.speed || settings.loopSec != m_settings.loopSec;
    m_settings = settings;
    if (m_scene) m_settings.bandGains.resize(size_t(m_scene->volume.bands), 1.0f);
    if (m_sim) m_sim->setDampingRatio(m_settings.dampingRatio);
    if (timing && m_scene) {
        resetSimulator();
        replan();
    }
    emit settingsChanged(m_settings);
}

}  // namespace waft::ui
