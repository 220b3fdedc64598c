#pragma once

#include <QWidget>

class QToolButton;
class QSlider;
class QLabel;
class QDoubleSpinBox;

namespace waft::ui {

class SceneController;

// The timeline: play/pause, a playhead to scrub the loop, the loop length, and an in/out range that jobs on
// a frame range (motion transfer, editing) will take. UI thread.
class TimelineBar : public QWidget {
    Q_OBJECT
public:
    explicit TimelineBar(SceneController* controller, QWidget* parent = nullptr);
    QToolButton* playButton() const { return m_play; }
    QSlider* playhead() const { return m_playhead; }
    std::pair<double, double> range() const;

signals:
    void rangeChanged(double inSec, double outSec);

private:
    void showPlayhead(double sec);

    SceneController* m_controller;
    QToolButton* m_play;
    QSlider* m_playhead;
    QLabel* m_time;
    QDoubleSpinBox* m_in;
    QDoubleSpinBox* m_out;
};

}  // namespace waft::ui
