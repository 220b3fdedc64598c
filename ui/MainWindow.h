#pragma once

#include <QMainWindow>
#include <vector>

#include "ViewportHost.h"
#include "dynamics/MotionStrokes.h"
#include "jobs/SceneAnimator.h"

class QUndoStack;
class QLabel;
class QMenu;
class QAction;
class QActionGroup;

namespace waft::ui {

class Autosave;
class EngineWorker;
class RecoveryBar;
class TipsOverlay;
class VideoJobsPanel;
class SceneController;
class MotionPanel;
class JobsPanel;
class TimelineBar;
class SceneSession;
class StrokeDocument;
struct VideoJobSettings;

// Waft's main window: the viewport in the centre, tools (Pull, Motion brush, Anchor, Freeze mask), the
// Motion, Video jobs and Jobs panels, the timeline, File/Edit/View menus with shortcuts, a status bar with fps and what
// the engine is doing. Owns the engine (EngineWorker and its lanes), the scene document and job dispatcher
// (SceneSession: open, extract, brush, predict, save, export run as jobs) and the strokes (StrokeDocument);
// the window itself builds widgets and menus and routes their actions. A failing job shows its one line and
// leaves the current scene alone; closing cancels running jobs. UI thread.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    // The session's actions (see SceneSession), here for the menus and the tests.
    int openPath(const QString& path);
    int saveSceneTo(const QString& path);
    int exportTo(const QString& path, const engine::AnimateParams& params, const QString& rendererModel = {});
    int exportWebPage(const QString& path);
    // Share Loop (Ctrl+Shift+E): the scene as a seamless MP4 loop with the last export's settings (else the
    // defaults, "good"), beside the scene or, where that folder cannot take it, in the Videos folder; the Jobs
    // panel offers Open folder when it is done and the path is on the clipboard. Returns the job id (-1: none).
    int shareLoop();
    QString lastSharedPath() const { return m_lastShared; }
    TipsOverlay* tips() const { return m_tips; }
    QString shortcutsText() const;  // Help > Keyboard Shortcuts
    int applyMotionBrush();
    int predictMotion();
    int openSample();       // the meadow photo, brought to life (first start)
    int openVideoSample();  // motion from tree.avi
    // Video ▸ Transfer Motion… / Edit with Text… without their dialog: the job on the timeline's clip (-1 and the
    // one line why in the status bar when there is no clip); the result opens as the new scene.
    int runVideoJob(const VideoJobSettings& settings);

    SceneController* controller() const { return m_controller; }
    EngineWorker* worker() const { return m_worker; }
    ViewportHost* viewport() const { return m_viewport; }
    MotionPanel* motionPanel() const { return m_motion; }
    JobsPanel* jobsPanel() const { return m_jobs; }
    VideoJobsPanel* videoJobsPanel() const { return m_videoPanel; }
    TimelineBar* timeline() const { return m_timeline; }
    QUndoStack* undoStack() const { return m_undo; }
    SceneSession* session() const { return m_session; }
    StrokeDocument* strokeDocument() const { return m_strokes; }
    Autosave* autosave() const { return m_autosave; }
    RecoveryBar* recoveryBar() const { return m_recovery; }
    // Help ▸ About Waft: the version and the git revision it was built from.
    static QString aboutText();
    const std::vector<engine::MotionArrow>& arrows() const;
    engine::MotionStrokes strokes() const;
    // Video ▸ Transfer Motion… / Edit with Text…: enabled on a video scene's clip, with what they run on or why
    // not as tooltip and status tip.
    const std::vector<QAction*>& videoJobActions() const { return m_videoJobs; }
    // Replaces the strokes with a stroke file's, as one undoable step; false (and the one line) otherwise.
    bool loadStrokes(const QString& path);

protected:
    void closeEvent(QCloseEvent* event) override;
    void changeEvent(QEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    void buildMenus();
    void buildTools();
    void addRecent(const QString& path);
    void rebuildRecent();
    void setTool(Tool tool);
    void showStrokes();
    void updateVideoJobs();

    EngineWorker* m_worker;
    SceneController* m_controller;
    QUndoStack* m_undo;
    StrokeDocument* m_strokes;
    SceneSession* m_session;
    Autosave* m_autosave;
    RecoveryBar* m_recovery;
    ViewportHost* m_viewport;
    MotionPanel* m_motion;
    JobsPanel* m_jobs;
    VideoJobsPanel* m_videoPanel = nullptr;
    engine::AnimateParams m_lastExport;  // the export dialog's last settings (Share Loop uses them)
    QString m_lastShared;
    QAction* m_shareAction = nullptr;
    TipsOverlay* m_tips = nullptr;
    TimelineBar* m_timeline;
    QLabel* m_fps;
    QLabel* m_activity;
    QMenu* m_recent = nullptr;
    QActionGroup* m_tools = nullptr;
    std::vector<QAction*> m_videoJobs;
};

}  // namespace waft::ui
