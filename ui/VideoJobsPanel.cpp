#include "VideoJobsPanel.h"

#include <QAction>
#include <QLabel>
#include <QToolButton>
#include <QVBoxLayout>

namespace waft::ui {

VideoJobsPanel::VideoJobsPanel(const std::vector<QAction*>& jobs, QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    for (QAction* job : jobs) {
        auto* button = new QToolButton(this);
        button->setDefaultAction(job);
        button->setToolButtonStyle(Qt::ToolButtonTextOnly);
        button->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
        layout->addWidget(button);
        m_buttons.push_back(button);
    }
    m_reason = new QLabel(this);
    m_reason->setWordWrap(true);
    m_reason->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(m_reason);
    layout->addStretch(1);
}

void VideoJobsPanel::setStatusLine(const QString& text) {
    m_reason->setText(text);
    fitReason();
}

void VideoJobsPanel::resizeEvent(QResizeEvent* event) {
    QWidget::resizeEvent(event);
    fitReason();
}

void VideoJobsPanel::fitReason() {
    // A dock does not ask a wrapped label for its height at the dock's width: the panel asks for it, so the
    // whole line shows.
    const int height = m_reason->heightForWidth(m_reason->width());
    if (height > 0 && height != m_reason->minimumHeight()) m_reason->setMinimumHeight(height);
}

QString VideoJobsPanel::statusLine() const { return m_reason->text(); }

}  // namespace waft::ui
