#pragma once

#include <QObject>
#include <QRectF>
#include <vector>

#include "dynamics/MotionStrokes.h"

class QUndoStack;

namespace waft::ui {

class SceneController;

// The motion-brush strokes painted on the current scene (arrows, anchors, freeze rectangles, in scene
// pixels). Every edit is one undoable step on the window's undo stack; changed() follows each. Owned by the
// window, UI thread only.
class StrokeDocument : public QObject {
    Q_OBJECT
public:
    StrokeDocument(SceneController* controller, QUndoStack* undo, QObject* parent = nullptr);

    const std::vector<engine::MotionArrow>& arrows() const { return m_arrows; }
    const std::vector<engine::MotionAnchor>& anchors() const { return m_anchors; }
    const std::vector<QRectF>& freezeRegions() const { return m_freeze; }
    // What Motion ▸ Save Strokes… writes and `waft-cli brush --strokes` reads (sized to the current scene).
    engine::MotionStrokes strokes() const;

    void addArrow(const engine::MotionArrow& arrow);
    void addAnchor(const engine::MotionAnchor& anchor);
    void addFreezeRegion(const QRectF& region);
    // Replaces all strokes, scaled to the current scene, as one undoable step titled `title`.
    void replace(const QString& title, const engine::MotionStrokes& strokes);
    // Reads a stroke file and replaces the strokes with it; the error's one line otherwise.
    engine::Status load(const QString& path);
    // Without an undo step (undo/redo of a scene replacement restores the strokes it left).
    void setNow(const engine::MotionStrokes& strokes);

signals:
    void changed();

private:
    SceneController* m_controller;
    QUndoStack* m_undo;
    std::vector<engine::MotionArrow> m_arrows;
    std::vector<engine::MotionAnchor> m_anchors;
    std::vector<QRectF> m_freeze;
};

}  // namespace waft::ui
