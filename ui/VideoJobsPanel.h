#pragma once

#include <QWidget>
#include <vector>

class QAction;
class QLabel;
class QToolButton;

namespace waft::ui {

// The Video jobs side panel: one button per video job (the Video menu's actions: Transfer Motion…, Edit with
// Text…, enabled as the actions are) and a line saying what they run on, or why they cannot run (a photo has no
// clip). MainWindow decides both. UI thread.
class VideoJobsPanel : public QWidget {
    Q_OBJECT
public:
    VideoJobsPanel(const std::vector<QAction*>& jobs, QWidget* parent = nullptr);

    void setStatusLine(const QString& text);
    QString statusLine() const;
    const std::vector<QToolButton*>& buttons() const { return m_buttons; }

protected:
    void resizeEvent(QResizeEvent* event) override;

private:
    void fitReason();
    std::vector<QToolButton*> m_buttons;
    QLabel* m_reason;
};

}  // namespace waft::ui
