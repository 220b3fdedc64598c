#pragma once

#include <QPointF>
#include <QWidget>
#include <map>
#include <vector>

class QVBoxLayout;
class QLabel;
class QProgressBar;
class QToolButton;

namespace waft::ui {

class EngineWorker;
class MetricCurve;

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
    // The latest metrics line ("loss 0.0834 at step 120") and the plotted points of the job's first metric.
    QString metricText(int id) const;
    std::vector<QPointF> metricPoints(int id) const;

    // Jobs an earlier session did not finish (EngineWorker::interruptedJobs): one row each with Resume and
    // Discard. Called once at start; returns how many are offered.
    int offerInterrupted();
    int interruptedCount() const { return int(m_interrupted.size()); }
    // What the Resume / Discard buttons do (for the tests and the buttons).
    int resumeInterrupted(const QString& journalId);
    void discardInterrupted(const QString& journalId);

private:
    struct Row {
        QWidget* widget;
        QLabel* label;
        QProgressBar* bar;
        QToolButton* cancel;
        QLabel* metrics;
        MetricCurve* curve;
        QString curveName;  // the metric the curve plots (the first one the job reports)
        std::map<QString, QString> latest;
        QString name;
        bool background = false;  // removed when it succeeds
    };
    void add(int id, const QString& name, bool background);
    void finished(int id, bool ok, const QString& message);
    void metric(int id, const QString& name, int step, double value);
    void clearFinished();

    EngineWorker* m_worker;
    QVBoxLayout* m_list;
    std::map<int, Row> m_rows;
    std::map<QString, QWidget*> m_interrupted;  // journal id -> its row
};

}  // namespace waft::ui
