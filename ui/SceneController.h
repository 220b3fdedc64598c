#pragma once

#include <QObject>
#include <QPointF>
#include <complex>
#include <memory>
#include <vector>

#include "dynamics/ModalSimulator.h"
#include "motion/LoopPlanner.h"
#include "scene/Scene.h"

namespace waft::ui {

// The scene as the user sees and touches it, on the UI thread: looping playback (bands snapped to the loop
// length, gains, speed), the pull simulation (engine::ModalSimulator) and the editable settings. Viewports
// ask it for the K coordinates of "now"; it owns no pixels and runs no long task. The volume is immutable and
// shared with the engine thread; settings changes are cheap and emitted so undo commands and panels follow.
class SceneController : public QObject {
    Q_OBJECT
public:
    explicit SceneController(QObject* parent = nullptr);

    void setScene(std::shared_ptr<const engine::Scene> scene);
    std::shared_ptr<const engine::Scene> scene() const { return m_scene; }
    std::shared_ptr<const engine::SpectralVolume> volume() const;
    // The scene with the current settings, for saving and exporting (a cheap copy of the shared volume).
    std::shared_ptr<engine::Scene> snapshot() const;
    const engine::SceneSettings& settings() const { return m_settings; }

    // Coordinates at wall-clock time t (seconds, monotonic): playback plus the pull's modal coordinates.
    // Returns whether anything moves (playing, held or ringing down).
    bool coordinatesAt(double timeSec, std::vector<std::complex<float>>& q);

    // Pull interaction in scene pixels.
    void press(QPointF scenePos);
    void drag(QPointF scenePos);
    void release();
    void resetMotion();
    bool isHeld() const { return m_sim && m_sim->isHeld(); }
    bool isRinging() const { return m_sim && m_sim->isMoving(); }
    int pullsReceived() const { return m_pulls; }

    // Playback.
    void setPlaying(bool playing);
    bool isPlaying() const { return m_playing; }
    double playheadSec() const { return m_playhead; }
    void seek(double sec);
    double loopSec() const { return m_plan.loopSec; }

    // Settings (undoable through SettingsCommand).
    void setSettings(const engine::SceneSettings& settings);

    // The clip of the source video that video jobs run on, in source time (the timeline's in/out). A new
    // video scene selects its whole source range; a photo scene has none (selectedClip() says why).
    void setClipRange(double inSec, double outSec);
    std::pair<double, double> clipRange() const { return m_clip; }
    engine::Expected<engine::VideoClip> selectedClip() const;

signals:
    void sceneChanged();
    void settingsChanged(const waft::engine::SceneSettings& settings);
    void playingChanged(bool playing);
    void playheadChanged(double sec);
    void clipRangeChanged(double inSec, double outSec);

private:
    void replan();
    void resetSimulator();  // a fresh modal simulator for the scene at the current damping and speed

    std::shared_ptr<const engine::Scene> m_scene;
    std::shared_ptr<const engine::SpectralVolume> m_volume;  // aliases m_scene
    engine::SceneSettings m_settings;
    std::unique_ptr<engine::ModalSimulator> m_sim;
    engine::LoopPlan m_plan;
    bool m_playing = true;
    double m_playhead = 0.0;
    double m_lastTime = -1.0;
    QPointF m_grab;
    int m_pulls = 0;
    std::pair<double, double> m_clip{0.0, 0.0};
};

}  // namespace waft::ui
