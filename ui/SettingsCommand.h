#pragma once

#include <QUndoCommand>

#include "scene/Scene.h"

namespace waft::ui {

class SceneController;

// One undoable change of the scene settings. Consecutive changes of the same control (a slider drag) merge
// into one step. UI thread.
class SettingsCommand : public QUndoCommand {
public:
    SettingsCommand(SceneController* controller, engine::SceneSettings before, engine::SceneSettings after, int control,
                    const QString& text);
    void undo() override;
    void redo() override;
    int id() const override { return 1; }
    bool mergeWith(const QUndoCommand* other) override;

private:
    SceneController* m_controller;
    engine::SceneSettings m_before;
    engine::SceneSettings m_after;
    int m_control;
};

}  // namespace waft::ui
