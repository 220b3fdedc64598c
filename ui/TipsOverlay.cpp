#include "TipsOverlay.h"

#include <QEvent>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

namespace waft::ui {

TipsOverlay::TipsOverlay(QWidget* parent, bool overlay) : QFrame(parent), m_overlay(overlay) {
    setObjectName("tips");
    setAutoFillBackground(true);
    QPalette p = palette();
    p.setColor(QPalette::Window, QColor(24, 24, 28, 230));
    p.setColor(QPalette::WindowText, QColor(235, 235, 235));
    setPalette(p);
    setFrameShape(QFrame::StyledPanel);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(16, 12, 16, 12);
    auto* text = new QLabel(
        tr("<b>Three things to try</b><br>"
           "1. <b>Drag</b> any point of the scene to pull it; let go and it springs back (Pull, <b>P</b>).<br>"
           "2. On a photo, <b>paint arrows</b> where things should sway (Motion brush, <b>B</b>; Anchor <b>A</b>, "
           "Freeze <b>F</b>), then <b>Ctrl+B</b>.<br>"
           "3. <b>Share a loop</b>: <b>Ctrl+Shift+E</b> writes a seamless MP4 beside the scene "
           "(<b>Ctrl+E</b> for every format).<br>"
           "Space plays and pauses; Help ▸ Keyboard Shortcuts lists them all."),
        this);
    text->setTextFormat(Qt::RichText);
    text->setWordWrap(true);
    layout->addWidget(text);
    m_dismiss = new QPushButton(tr("Got it"), this);
    m_dismiss->setToolTip(tr("Hide these tips (Help ▸ Show Tips brings them back)"));
    layout->addWidget(m_dismiss, 0, Qt::AlignRight);
    connect(m_dismiss, &QPushButton::clicked, this, &TipsOverlay::dismiss);
    if (m_overlay) parent->installEventFilter(this);
    hide();
}

void TipsOverlay::offer(bool force) {
    if (!force && QSettings().value("tips/dismissed", false).toBool()) return;
    if (m_overlay) place();
    show();
    raise();
}

void TipsOverlay::dismiss() {
    QSettings().setValue("tips/dismissed", true);
    hide();
}

void TipsOverlay::place() {
    const QWidget* host = parentWidget();
    const int width = std::min(560, std::max(240, host->width() - 40));
    // The wrapped text's height at this width (adjustSize would size it for the unwrapped text).
    setFixedSize(width, layout()->hasHeightForWidth() ? layout()->totalHeightForWidth(width) : sizeHint().height());
    move((host->width() - width) / 2, 16);
}

bool TipsOverlay::eventFilter(QObject* watched, QEvent* event) {
    if (watched == parentWidget() && event->type() == QEvent::Resize && !isHidden()) place();
    return QFrame::eventFilter(watched, event);
}

}  // namespace waft::ui
