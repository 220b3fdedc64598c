#pragma once

#include <QMainWindow>
#include <QThread>
#include <functional>
#include <memory>
#include <vector>

#include "dynamics/MotionBrush.h"
#include "dynamics/MotionStrokes.h"
#include "jobs/SceneAnimator.h"
#include "ViewportHost.h"

class QUndoStack;
class QLabel;
class QMenu;
class QActionGroup;

namespace waft::ui {

class EngineWorker;
class SceneController;
class MotionPanel;
class JobsPanel;
class TimelineBar;

// Waft's main window: the viewport in the centre, tools (Pull, Motion brush, Anchor, Freeze mask), the
// Motion and Jobs panels, the timeline, File/Edit/View menus with shortcuts, a status bar with fps and what
// the engine is doing. Owns the engine (EngineWorker and its lanes): opening, extracting, painting motion,
// saving and exporting all run there as jobs; this thread only edits settings and drives the viewport. A
// failing job shows its one line and leaves the current scene alone; closing cancels running jobs. UI thread.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // Opens .waft scenes, videos (extract motion) and images (motion brush) by extension, as a job.
    int openPath(const QString& path);
    int saveSceneTo(const QString& path);
    int exportTo(const QString& path, const engine::AnimateParams& params);
    int applyMotionBrush();
    // Predicts the current photo's motion with the configured motion model (Motion ▸ Motion Model…), as a job;
    // -1 with a status-bar hint when no scene or no model. Opening a photo does this when a model is set.
    int predictMotion();
    // The sample on first start: tree.avi, extracted with a 12 s window at speed 2 (see README).
    int openSample();

    SceneController* controller() const { return m_controller; }
    EngineWorker* worker() const { return m_worker; }
    ViewportHost* viewport() const { return m_viewport; }
    MotionPanel* motionPanel() const { return m_motion; }
    JobsPanel* jobsPanel() const { return m_jobs; }
    TimelineBar* timeline() const { return m_timeline; }
    QUndoStack* undoStack() const { return m_undo; }
    const std::vector<engine::MotionArrow>& arrows() const { return m_arrows; }
    // The strokes painted so far, in scene pixels (what Motion ▸ Save Strokes… writes and `waft-cli brush
    // --strokes` reads); loadStrokes() replaces them, scaled to the scene, as one undoable step.
    engine::MotionStrokes strokes() const;
    bool loadStrokes(const QString& path);

protected:
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void buildMenus();
    void buildTools();
    // Shows a new scene as one undoable step (undoText names it; default "Open <file>"); the first scene of a
    // session just appears.
    void showScene(std::shared_ptr<engine::Scene> scene, const QString& path, bool brushHint,
                   const QString& undoText = {});
    // Queues a job that yields a scene; `take(JobT&)` runs on the engine lane after success, `show` on this
    // thread (only if no later scene job was queued meanwhile).
    using SceneShow = std::function<void(std::shared_ptr<engine::Scene>)>;
    template <typename JobT, typename Take>
    int runSceneJob(std::unique_ptr<JobT> job, Take take, SceneShow show);
    void addRecent(const QString& path);
    void rebuildRecent();
    void setTool(Tool tool);
    void showStrokes();
    void replaceStrokes(const QString& title, const engine::MotionStrokes& strokes);
    void replaceStrokesNow(const engine::MotionStrokes& strokes);

    EngineWorker* m_worker;
    SceneController* m_controller;
    QUndoStack* m_undo;
    ViewportHost* m_viewport;
    MotionPanel* m_motion;
    JobsPanel* m_jobs;
    TimelineBar* m_timeline;
    QLabel* m_fps;
    QLabel* m_activity;
    QMenu* m_recent = nullptr;
    QActionGroup* m_tools = nullptr;
    QString m_scenePath;
    int m_sceneRequest = 0;  // the latest scene-producing job; earlier ones that finish later are dropped
    std::vector<engine::MotionArrow> m_arrows;
    std::vector<engine::MotionAnchor> m_anchors;
    std::vector<QRectF> m_freezeRegions;
};

}  // namespace waft::ui
