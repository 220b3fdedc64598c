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
        box->setDecimals(3);
    }
    m_in->setPrefix(tr("in "));
    m_out->setPrefix(tr("out "));
    m_in->setEnabled(false);
    m_out->setEnabled(false);
    m_source = new QLabel(tr("no scene"), this);
    layout->addWidget(m_play);
    layout->addWidget(m_playhead, 1);
    layout->addWidget(m_time);
    layout->addWidget(m_source);
    layout->addWidget(m_in);
    layout->addWidget(m_out);

    connect(m_play, &QToolButton::toggled, controller, &SceneController::setPlaying);
    connect(controller, &SceneController::playingChanged, this, [this](bool playing) {
        m_play->setChecked(playing);
        m_play->setIcon(style()->standardIcon(playing ? QStyle::SP_MediaPause : QStyle::SP_MediaPlay));
    });
    // sliderMoved fires for the user's scrubbing only, not for the playhead following playback.
    connect(m_playhead, &QSlider::sliderMoved, this,
            [this](int v) { m_controller->seek(m_controller->loopSec() * v / 1000.0); });
    connect(controller, &SceneController::playheadChanged, this, &TimelineBar::showPlayhead);
    // In/out are source time of the scene's video; a photo scene has no range.
    connect(controller, &SceneController::sceneChanged, this, [this] {
        const auto scene = m_controller->scene();
        const bool video = scene && scene->source.isVideo();
        for (QDoubleSpinBox* box : {m_in, m_out}) {
            QSignalBlocker block(box);
            box->setEnabled(video);
            box->setRange(video ? scene->source.startSec : 0.0, video ? scene->source.endSec : 0.0);
            box->setToolTip(
                video
                    ? tr("Clip of %1 for video jobs (source time)").arg(QString::fromStdString(scene->source.videoPath))
                    : tr("A photo has no source video: video jobs need a scene made from a video"));
        }
        m_source->setText(
            video ? tr("source %1–%2 s").arg(scene->source.startSec, 0, 'f', 2).arg(scene->source.endSec, 0, 'f', 2)
                  : tr("photo"));
        showPlayhead(0.0);
    });
    connect(controller, &SceneController::clipRangeChanged, this, [this](double in, double out) {
        QSignalBlocker blockIn(m_in), blockOut(m_out);
        m_in->setValue(in);
        m_out->setValue(out);
    });
    // Keeps in <= out by moving the other end, then hands the clip to the controller.
    const auto setRange = [this](QDoubleSpinBox* moved, QDoubleSpinBox* other, bool movedIsIn) {
        if (movedIsIn ? moved->value() > other->value() : moved->value() < other->value()) {
            QSignalBlocker block(other);
            other->setValue(moved->value());
        }
        m_controller->setClipRange(m_in->value(), m_out->value());
        emit rangeChanged(m_in->value(), m_out->value());
    };
    connect(m_in, qOverload<double>(&QDoubleSpinBox::valueChanged), this, [=] { setRange(m_in, m_out, true); });
    connect(m_out, qOverload<double>(&QDoubleSpinBox::valueChanged), this, [=] { setRange(m_out, m_in, false); });
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
