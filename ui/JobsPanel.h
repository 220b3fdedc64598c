#pragma once

#include <QWidget>
#include <map>

class QVBoxLayout;
class QLabel;
class QProgressBar;
class QToolButton;

namespace waft::ui {

class EngineWorker;

// The Jobs side panel: one row per job (name, state, progress bar, cancel), queued ones first to run in
// order. A new job type needs nothing here: anything EngineWorker runs shows up. UI thread.
class JobsPanel : public QWidget {
    Q_OBJECT
public:
    explicit JobsPanel(EngineWorker* worker, QWidget* parent = nullptr);

    int rowCount() const { return int(m_rows.size()); }
    QString stateText(int id) const;
    int progressPercent(int id) const;
    void clickCancel(int id);

private:
    struct Row {
        QWidget* widget;
        QLabel* label;
        QProgressBar* bar;
        QToolButton* cancel;
        QString name;
    };
    void add(int id, const QString& name);
    void finished(int id, bool ok, const QString& message);
    void clearFinished();

    EngineWorker* m_worker;
    QVBoxLayout* m_list;
    std::map<int, Row> m_rows;
};

}  // namespace waft::ui
