#include "SettingsCommand.h"

#include "SceneController.h"

namespace waft::ui {

SettingsCommand::SettingsCommand(SceneController* controller, engine::SceneSettings before, engine::SceneSettings after,
                                 int control, const QString& text)
    : QUndoCommand(text),
      m_controller(controller),
      m_before(std::move(before)),
      m_after(std::move(after)),
      m_control(control) {}

void SettingsCommand::undo() { m_controller->setSettings(m_before); }

void SettingsCommand::redo() { m_controller->setSettings(m_after); }

bool SettingsCommand::mergeWith(const QUndoCommand* other) {
    const auto* next = static_cast<const SettingsCommand*>(other);
    if (next->m_control != m_control) return false;
    m_after = next->m_after;
    return true;
}

}  // namespace waft::ui
