#pragma once

#include <QToolBar>

class QLabel;

namespace waft::ui {

class Autosave;
class EngineWorker;
class SceneSession;

// The offer, at the top of the window, to restore the scene a killed session autosaved: what and when, with
// Restore (one undoable step; the current scene stays behind it) and Discard. A restore that fails (the
// autosave is damaged) says why in one line and leaves the scene and the offer as they were. UI thread.
class RecoveryBar : public QToolBar {
    Q_OBJECT
public:
    RecoveryBar(Autosave* autosave, SceneSession* session, EngineWorker* worker, QWidget* parent = nullptr);

    // Shows the bar when there is something to restore; false otherwise.
    bool offer();
    // What the buttons do: the job id of the restore (-1 and the reason in text() when it cannot start).
    int restore();
    void discard();
    QString text() const;

private:
    Autosave* m_autosave;
    SceneSession* m_session;
    EngineWorker* m_worker;
    QLabel* m_label;
    int m_restoreJob = -1;
};

}  // namespace waft::ui
