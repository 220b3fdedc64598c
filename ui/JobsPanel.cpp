#include "JobsPanel.h"

#include <QDateTime>
#include <QDesktopServices>
#include <QFileInfo>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QStyle>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>

#include "EngineWorker.h"
#include "MetricCurve.h"
#include "core/JobJournal.h"

namespace waft::ui {

namespace {
QString formatDuration(double seconds) {
    const long s = long(seconds + 0.5);
    if (s < 60) return QStringLiteral("%1 s").arg(s);
    if (s < 3600) return QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60);
}
}  // namespace

JobsPanel::JobsPanel(EngineWorker* worker, QWidget* parent) : QWidget(parent), m_worker(worker) {
    auto* layout = new QVBoxLayout(this);
    auto* holder = new QWidget(this);
    m_list = new QVBoxLayout(holder);
    m_list->addStretch(1);
    auto* scroll = new QScrollArea(this);
    scroll->setWidget(holder);
    scroll->setWidgetResizable(true);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);  // rows wrap to the panel's width
    layout->addWidget(scroll, 1);
    auto* clear = new QPushButton(tr("Clear finished"), this);
    layout->addWidget(clear);
    connect(clear, &QPushButton::clicked, this, &JobsPanel::clearFinished);
    connect(worker, &EngineWorker::jobQueued, this, &JobsPanel::add);
    connect(worker, &EngineWorker::jobStarted, this, [this](int id) {
        if (auto it = m_rows.find(id); it != m_rows.end()) it->second.label->setText(it->second.name + tr(": running"));
    });
    connect(worker, &EngineWorker::jobProgress, this,
            [this](int id, float fraction, const QString& stage, double etaSec) {
                auto it = m_rows.find(id);
                if (it == m_rows.end()) return;
                it->second.bar->setValue(int(fraction * 100.0f));
                QString text = it->second.name;
                if (!stage.isEmpty()) text += QStringLiteral(": ") + stage;
                if (etaSec >= 0.0) text += tr(" · %1 left").arg(formatDuration(etaSec));
                it->second.label->setText(text);
            });
    connect(worker, &EngineWorker::jobFinished, this, &JobsPanel::finished);
    connect(worker, &EngineWorker::jobMetric, this, &JobsPanel::metric);
}

void JobsPanel::metric(int id, const QString& name, int step, double value) {
    auto it = m_rows.find(id);
    if (it == m_rows.end()) return;
    Row& row = it->second;
    row.latest[name] = QStringLiteral("%1 %2").arg(name).arg(value, 0, 'g', 4);
    QStringList parts;
    for (const auto& [key, text] : row.latest) parts << text;
    row.metrics->setText(parts.join(QStringLiteral(" · ")) + tr(" at step %1").arg(step));
    row.metrics->show();
    if (row.curveName.isEmpty()) row.curveName = name;
    if (name == row.curveName) {
        row.curve->add(step, value);
        row.curve->show();
    }
}

QString JobsPanel::metricText(int id) const {
    const auto it = m_rows.find(id);
    return it == m_rows.end() ? QString() : it->second.metrics->text();
}

std::vector<QPointF> JobsPanel::metricPoints(int id) const {
    const auto it = m_rows.find(id);
    return it == m_rows.end() ? std::vector<QPointF>() : it->second.curve->points();
}

void JobsPanel::add(int id, const QString& name, bool background) {
    Row row;
    row.name = name;
    row.background = background;
    row.widget = new QWidget(this);
    auto* layout = new QVBoxLayout(row.widget);
    layout->setContentsMargins(2, 2, 2, 2);
    auto* top = new QHBoxLayout();
    row.label = new QLabel(name + tr(": queued"), row.widget);
    row.label->setWordWrap(true);
    row.cancel = new QToolButton(row.widget);
    row.cancel->setIcon(style()->standardIcon(QStyle::SP_DialogCancelButton));
    row.cancel->setToolTip(tr("Cancel %1").arg(name));
    row.top = top;
    top->addWidget(row.label, 1);
    top->addWidget(row.cancel);
    row.bar = new QProgressBar(row.widget);
    row.bar->setRange(0, 100);
    row.metrics = new QLabel(row.widget);
    row.metrics->hide();
    row.curve = new MetricCurve(row.widget);
    row.curve->hide();
    layout->addLayout(top);
    layout->addWidget(row.bar);
    layout->addWidget(row.metrics);
    layout->addWidget(row.curve);
    m_list->insertWidget(m_list->count() - 1, row.widget);
    connect(row.cancel, &QToolButton::clicked, this, [this, id] { m_worker->cancel(id); });
    m_rows[id] = row;
}

void JobsPanel::finished(int id, bool ok, const QString& message) {
    auto it = m_rows.find(id);
    if (it == m_rows.end()) return;
    Row& row = it->second;
    if (ok && row.background) {
        delete row.widget;
        m_rows.erase(it);
        return;
    }
    row.cancel->hide();
    if (ok) row.bar->setValue(100);
    if (const auto file = m_resultFiles.find(id); ok && file != m_resultFiles.end() && !row.openFolder) {
        row.openFolder = new QToolButton(row.widget);
        row.openFolder->setText(tr("Open folder"));
        row.openFolder->setToolTip(file->second);
        const QString folder = QFileInfo(file->second).absolutePath();
        connect(row.openFolder, &QToolButton::clicked, this,
                [folder] { QDesktopServices::openUrl(QUrl::fromLocalFile(folder)); });
        row.top->addWidget(row.openFolder);
    }
    row.label->setText(row.name + QStringLiteral(": ") + message);
    row.widget->setProperty("finished", true);
    row.widget->setToolTip(message);
}

void JobsPanel::setResultFile(int id, const QString& path) {
    if (id >= 0) m_resultFiles[id] = path;
}

QString JobsPanel::resultFile(int id) const {
    const auto it = m_resultFiles.find(id);
    return it == m_resultFiles.end() ? QString() : it->second;
}

bool JobsPanel::offersOpenFolder(int id) const {
    const auto it = m_rows.find(id);
    return it != m_rows.end() && it->second.openFolder && !it->second.openFolder->isHidden();
}

void JobsPanel::clearFinished() {
    for (auto it = m_rows.begin(); it != m_rows.end();) {
        if (it->second.widget->property("finished").toBool()) {
            delete it->second.widget;
            it = m_rows.erase(it);
        } else {
            ++it;
        }
    }
}

int JobsPanel::offerInterrupted() {
    for (const auto& entry : m_worker->interruptedJobs()) {
        const QString id = QString::fromStdString(entry.id);
        if (m_interrupted.count(id)) continue;
        auto* row = new QWidget(this);
        auto* layout = new QVBoxLayout(row);
        layout->setContentsMargins(2, 2, 2, 2);
        const QString started = QDateTime::fromSecsSinceEpoch(entry.startedUnixSec).toString("yyyy-MM-dd hh:mm");
        auto* label = new QLabel(tr("Interrupted: %1").arg(QString::fromStdString(entry.spec.title)), row);
        row->setToolTip(tr("Started %1. Resume continues from its last checkpoint; Discard forgets it (its "
                           "checkpoints stay on disk).")
                            .arg(started));
        label->setWordWrap(true);
        label->setTextFormat(Qt::PlainText);  // the title comes from a file
        auto* buttons = new QHBoxLayout();
        auto* resume = new QToolButton(row);  // compact: the panel is narrow
        auto* discard = new QToolButton(row);
        resume->setText(tr("Resume"));
        discard->setText(tr("Discard"));
        resume->setObjectName("resume");
        discard->setObjectName("discard");
        buttons->addWidget(resume);
        buttons->addWidget(discard);
        buttons->addStretch(1);
        layout->addWidget(label);
        layout->addLayout(buttons);
        m_list->insertWidget(0, row);
        m_interrupted[id] = row;
        connect(resume, &QToolButton::clicked, this, [this, id] { resumeInterrupted(id); });
        connect(discard, &QToolButton::clicked, this, [this, id] { discardInterrupted(id); });
    }
    return int(m_interrupted.size());
}

int JobsPanel::resumeInterrupted(const QString& journalId) {
    const auto it = m_interrupted.find(journalId);
    if (it == m_interrupted.end()) return -1;
    QString error;
    const int id = m_worker->resumeInterrupted(journalId, &error);
    if (id < 0) {
        auto* label = it->second->findChild<QLabel*>();
        if (label) label->setText(tr("Cannot resume: %1").arg(error));
        return -1;
    }
    it->second->deleteLater();  // called from the row's own button
    m_interrupted.erase(it);
    return id;
}

void JobsPanel::discardInterrupted(const QString& journalId) {
    const auto it = m_interrupted.find(journalId);
    if (it == m_interrupted.end()) return;
    m_worker->discardInterrupted(journalId);
    it->second->deleteLater();
    m_interrupted.erase(it);
}

QString JobsPanel::stateText(int id) const {
    const auto it = m_rows.find(id);
    return it == m_rows.end() ? QString() : it->second.label->text();
}

int JobsPanel::progressPercent(int id) const {
    const auto it = m_rows.find(id);
    return it == m_rows.end() ? -1 : it->second.bar->value();
}

void JobsPanel::clickCancel(int id) {
    const auto it = m_rows.find(id);
    if (it != m_rows.end()) it->second.cancel->click();
}

}  // namespace waft::ui
