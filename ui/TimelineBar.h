#pragma once

#include <QWidget>

class QToolButton;
class QSlider;
class QLabel;
class QDoubleSpinBox;

namespace waft::ui {

class SceneController;

// The timeline: play/pause, a playhead to scrub the loop, the loop length, and, for a scene made from a video,
// the in/out clip of its source (source time) that video jobs (motion transfer, editing) take: it is the
// controller's clip range (SceneController::selectedClip). A photo scene's in/out are disabled and say why.
// UI thread.
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
    QLabel* m_source;
    QDoubleSpinBox* m_in;
    QDoubleSpinBox* m_out;
};

}  // namespace waft::ui
