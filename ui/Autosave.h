#pragma once

#include <QDateTime>
#include <QElapsedTimer>
#include <QObject>
#include <QString>
#include <QTimer>
#include <memory>
#include <utility>

#include "core/Status.h"
#include "dynamics/MotionStrokes.h"

class QLockFile;
class QUndoStack;

namespace waft::ui {

class EngineWorker;
class SceneController;
class SceneSession;
class StrokeDocument;

// Autosave and crash recovery for the window's document. After an undoable edit, the scene (with its
// settings), the strokes, the scene's path and the timeline clip are saved to folder() at most every
// intervalSec() seconds, as a save job on the engine's editor lane (never on the UI thread). Each save is a new
// generation: scene-N.waft and strokes-N.json, then session.json naming N, every file atomic, so a kill at
// any moment leaves the previous complete generation. A clean close calls discard(); what a killed session
// left is moved to folder()/recovery at the next start and offered (recovery()) until restored or discarded,
// so new autosaves never overwrite it. One running instance owns the folder (a QLockFile that a killed
// owner leaves stale); another neither saves nor offers. Files are read back as untrusted. UI thread.
class Autosave : public QObject {
    Q_OBJECT
public:
    struct Recovery {
        QString scenePath;     // the autosaved scene, to open
        QString originalPath;  // the file the scene had come from or been saved to
        engine::MotionStrokes strokes;
        std::pair<double, double> clip{-1.0, -1.0};
        QDateTime savedAt;
    };

    Autosave(EngineWorker* worker, SceneController* controller, StrokeDocument* strokes, SceneSession* session,
             QUndoStack* undo, const QString& folder, QObject* parent = nullptr);
    ~Autosave() override;

    // $WAFT_AUTOSAVE_DIR, else <the user's data folder>/autosave (~/.local/share/Waft/Waft/autosave).
    static QString defaultFolder();
    const QString& folder() const { return m_folder; }
    // False when another running Waft owns the folder (or it cannot be created): nothing is saved.
    bool isActive() const { return m_lock != nullptr; }
    double intervalSec() const { return m_intervalSec; }
    void setIntervalSec(double seconds);

    // What a session that did not close cleanly left, or the one line why there is nothing to restore.
    engine::Expected<Recovery> recovery() const;
    bool hasRecovery() const { return recovery().hasValue(); }
    // Forgets the recovery (Discard).
    void discardRecovery();
    // The recovery is on screen again: it is saved as this session's autosave at once, and the recovery is
    // forgotten only when that save has landed (a crash in between offers it again).
    void restored();

    // Saves now if there is a scene (the job id, else -1); edits meanwhile wait for the next turn.
    int saveNow();
    // Removes this session's autosave (a clean close); the recovery stays until decided. After
    // keepForNextStart() (the window closed while jobs, a save among them perhaps, were dropped) it does nothing,
    // and the next start offers what was autosaved.
    void discard();
    void keepForNextStart() { m_kept = true; }
    int savesFinished() const { return m_savesFinished; }
    // Nothing waiting to be written: no save due and none running.
    bool isIdle() const { return m_runningJob < 0 && !m_timer.isActive() && !m_editedWhileSaving; }

signals:
    // After each autosave: ok, and the job's one line when it failed (disk full, folder gone).
    void saved(bool ok, const QString& message);

private:
    void edited();
    void adoptLeftover();  // session.json of a killed session -> recovery/
    QString generationFile(const QString& dir, const char* stem, int generation) const;

    EngineWorker* m_worker;
    SceneController* m_controller;
    StrokeDocument* m_strokes;
    SceneSession* m_session;
    QString m_folder;
    std::unique_ptr<QLockFile> m_lock;
    double m_intervalSec = 15.0;
    QTimer m_timer;
    QElapsedTimer m_sinceSave;  // invalid until the first save
    int m_generation = 0;
    int m_runningJob = -1;
    bool m_editedWhileSaving = false;
    bool m_dropRecoveryAfterSave = false;
    bool m_kept = false;
    int m_savesFinished = 0;
};

}  // namespace waft::ui
