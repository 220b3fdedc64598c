#pragma once

#include <QWidget>
#include <vector>

class QSlider;
class QDoubleSpinBox;
class QUndoStack;
class QGridLayout;
class QLabel;
class QScrollArea;

namespace waft::engine {
struct SceneSettings;
}

namespace waft::ui {

class SceneController;

// Motion controls: global amplitude, per-band amplitude (one slider per band with its frequency in Hz, in a
// grid of low to high), speed / slow motion, loop length, damping, and Reset. Every change is an undoable
// SettingsCommand; the panel follows the controller (undo, new scenes). UI thread.
class MotionPanel : public QWidget {
    Q_OBJECT
public:
    MotionPanel(SceneController* controller, QUndoStack* undo, QWidget* parent = nullptr);

    QSlider* globalAmplitude() const { return m_global; }
    QSlider* speed() const { return m_speed; }
    QSlider* damping() const { return m_damping; }
    QDoubleSpinBox* loopLength() const { return m_loop; }
    const std::vector<QSlider*>& bandSliders() const { return m_bands; }
    QScrollArea* bandScroll() const { return m_scroll; }

private:
    void rebuildBands();
    void showSettings(const engine::SceneSettings& settings);
    void edit(int control, const QString& text, const std::function<void(engine::SceneSettings&)>& change);

    SceneController* m_controller;
    QUndoStack* m_undo;
    QSlider* m_global;
    QSlider* m_speed;
    QSlider* m_damping;
    QDoubleSpinBox* m_loop;
    QGridLayout* m_bandGrid;
    QScrollArea* m_scroll;
    std::vector<QSlider*> m_bands;
    std::vector<QLabel*> m_bandLabels;
    bool m_updating = false;
};

}  // namespace waft::ui
