#include "TimelineBar.h"

#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSlider>
#include <QStyle>
#include <QToolButton>

#include "SceneController.h"

namespace waft::ui {

TimelineBar::TimelineBar(SceneController* controller, QWidget* parent) : QWidget(parent), m_controller(controller) {
    auto* layout = new QHBoxLayout(this);
    m_play = new QToolButton(this);
    m_play->setCheckable(true);
    m_play->setChecked(controller->isPlaying());
    m_play->setIcon(style()->standardIcon(controller->isPlaying() ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
    m_play->setToolTip(tr("Play / pause (Space)"));
    m_playhead = new QSlider(Qt::Horizontal, this);
    m_playhead->setRange(0, 1000);
    m_time = new QLabel(this);
    m_time->setMinimumWidth(110);
    m_in = new QDoubleSpinBox(this);
    m_out = new QDoubleSpinBox(this);
    for (QDoubleSpinBox* box : {m_in, m_out}) {
        box->setRange(0.0, 3600.0);
        box->setSuffix(tr(" s"));
        box->setDecimals(2);
    }
    m_in->setPrefix(tr("in "));
    m_out->setPrefix(tr("out "));
    m_out->setToolTip(tr("Frame range for video jobs"));
    layout->addWidget(m_play);
    layout->addWidget(m_playhead, 1);
    layout->addWidget(m_time);
    layout->addWidget(m_in);
    layout->addWidget(m_out);

    connect(m_play, &QToolButton::toggled, controller, &SceneController::setPlaying);
    connect(controller, &SceneController::playingChanged, this, [this](bool playing) {
        m_play->setChecked(playing);
        m_play->setIcon(style()->standardIcon(playing ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
    });
    // sliderMoved fires for the user's scrubbing only, not for the playhead following playback.
    connect(m_playhead, &QSlider::sliderMoved, this, [this](int v) { m_controller->seek(m_controller->loopSec() * v / 1000.0); });
    connect(controller, &SceneController::playheadChanged, this, &TimelineBar::showPlayhead);
    connect(controller, &SceneController::sceneChanged, this, [this] {
        m_out->setValue(m_controller->loopSec());
        showPlayhead(0.0);
    });
    const auto emitRange = [this] { emit rangeChanged(m_in->value(), m_out->value()); };
    connect(m_in, qOverload<double>(&QDoubleSpinBox::valueChanged), this, emitRange);
    connect(m_out, qOverload<double>(&QDoubleSpinBox::valueChanged), this, emitRange);
}

std::pair<double, double> TimelineBar::range() const { return {m_in->value(), m_out->value()}; }

void TimelineBar::showPlayhead(double sec) {
    const double loop = std::max(1e-6, m_controller->loopSec());
    if (!m_playhead->isSliderDown()) {
        QSignalBlocker block(m_playhead);
        m_playhead->setValue(int(1000.0 * sec / loop));
    }
    m_time->setText(QStringLiteral("%1 / %2 s").arg(sec, 0, 'f', 2).arg(loop, 0, 'f', 2));
}

}  // namespace waft::ui
