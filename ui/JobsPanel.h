#pragma once

#include <QPointF>
#include <QWidget>
#include <map>
#include <vector>

class QHBoxLayout;
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

    // A job that writes a file: once it succeeds, its row offers Open folder (the file's folder in the desktop's
    // file manager). Call right after the job is queued.
    void setResultFile(int id, const QString& path);
    QString resultFile(int id) const;
    bool offersOpenFolder(int id) const;

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
        QToolButton* openFolder = nullptr;
        QHBoxLayout* top = nullptr;  // label, then the buttons
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
    std::map<int, QString> m_resultFiles;       // job id -> the file it writes
};

}  // namespace waft::ui
