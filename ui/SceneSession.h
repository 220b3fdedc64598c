#pragma once

#include <QObject>
#include <QString>
#include <functional>
#include <memory>

#include "ViewportHost.h"
#include "dynamics/MotionStrokes.h"
#include "jobs/SceneAnimator.h"

class QUndoStack;

namespace waft::ui {

class EngineWorker;
class SceneController;
class StrokeDocument;

// The window's scene document and job dispatcher: turns Open / Save / Export / Apply Motion Brush / Predict
// into engine jobs, and shows each resulting scene as one undoable step back to the previous scene (its
// settings, path, strokes and clip). Scene jobs run on two lanes and can finish out of order: the latest
// request wins, an overtaken one is dropped. Every call returns the job id (-1 and a message() when there is
// nothing to run on). UI thread only; results arrive as queued calls on it.
class SceneSession : public QObject {
    Q_OBJECT
public:
    SceneSession(EngineWorker* worker, SceneController* controller, StrokeDocument* strokes, QUndoStack* undo,
                 QObject* parent = nullptr);

    // .waft scenes open as they are, videos extract motion, images open for the motion brush (or predict).
    int openPath(const QString& path);
    // The sample on first start: tree.avi, extracted with a 12 s window at speed 2 (see README).
    // The first start's sample: the meadow photo with its shipped strokes (a photo scene, ready to pull).
    int openSample();
    // The video sample: motion extracted from tree.avi.
    int openVideoSample();
    int saveSceneTo(const QString& path);
    int exportTo(const QString& path, const engine::AnimateParams& params, const QString& rendererModel = {});
    // File > Export > Interactive Web Page: the scene as one self-contained HTML file (engine::WebPageJob).
    int exportWebPage(const QString& path);
    int applyMotionBrush();
    // The current photo's motion from the configured motion model (Motion ▸ Motion Model…).
    int predictMotion();
    // A video job (motion transfer, text-driven editing) that writes `output`: when it succeeds the result opens
    // as a new clip (its motion extracted, one undoable step); when it fails the open scene stays as it was.
    int runVideoJob(std::unique_ptr<engine::Job> job, const QString& output);

    // A scene autosaved by a session that did not close cleanly (Autosave::recovery()), shown as one undoable
    // step with the path, strokes and clip it had; onShown runs once it is on screen.
    int openRecovered(const QString& scenePath, const QString& originalPath, const engine::MotionStrokes& strokes,
                      std::pair<double, double> clip, std::function<void()> onShown);

    // The file the current scene came from or was last saved to.
    const QString& scenePath() const { return m_scenePath; }

signals:
    void scenePathChanged(const QString& path);
    void toolSuggested(waft::ui::Tool tool);
    void message(const QString& text, int timeoutMs);
    void recentFileUsed(const QString& path);

private:
    using SceneShow = std::function<void(std::shared_ptr<engine::Scene>)>;
    // Queues a job that yields a scene; `take(JobT&)` runs on the engine lane after success, `show` on this
    // thread (only if no later scene job was queued meanwhile).
    template <typename JobT, typename Take>
    int runSceneJob(std::unique_ptr<JobT> job, Take take, SceneShow show);
    // undoText names the step (default "Open <file>"); the first scene of a session just appears.
    void showScene(std::shared_ptr<engine::Scene> scene, const QString& path, bool brushHint,
                   const QString& undoText = {});

    EngineWorker* m_worker;
    SceneController* m_controller;
    StrokeDocument* m_strokes;
    QUndoStack* m_undo;
    QString m_scenePath;
    int m_sceneRequest = 0;
};

}  // namespace waft::ui
