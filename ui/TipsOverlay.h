#pragma once

#include <QFrame>

class QPushButton;

namespace waft::ui {

// The first start's tips over the viewport: the three things to try (drag to pull, paint arrows on a photo,
// export a loop) with their shortcuts, and Got it. Dismissing it is remembered (QSettings tips/dismissed);
// Help > Show Tips brings it back. Drawn over its parent (overlay), or laid out by it as a banner where the parent
// holds a native window no widget can cover (the Vulkan viewport). UI thread.
class TipsOverlay : public QFrame {
    Q_OBJECT
public:
    TipsOverlay(QWidget* parent, bool overlay);
    // Shown unless dismissed before (force: Help > Show Tips).
    void offer(bool force);
    void dismiss();
    QPushButton* dismissButton() const { return m_dismiss; }
    // Keeps it centred near the top of its parent.
    void place();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    QPushButton* m_dismiss;
    bool m_overlay;
};

}  // namespace waft::ui
