#pragma once

#include <QUndoCommand>
#include <functional>

namespace waft::ui {

// An undoable edit given as two functions (a stroke added / removed, a scene replaced / restored).
class LambdaCommand : public QUndoCommand {
public:
    LambdaCommand(const QString& text, std::function<void()> redo, std::function<void()> undo)
        : QUndoCommand(text), m_redo(std::move(redo)), m_undo(std::move(undo)) {}
    void redo() override { m_redo(); }
    void undo() override { m_undo(); }

private:
    std::function<void()> m_redo, m_undo;
};

}  // namespace waft::ui
