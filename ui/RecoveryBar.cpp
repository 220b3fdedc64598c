#include "RecoveryBar.h"

#include <QAction>
#include <QFileInfo>
#include <QLabel>

#include "Autosave.h"
#include "EngineWorker.h"
#include "SceneSession.h"

namespace waft::ui {

RecoveryBar::RecoveryBar(Autosave* autosave, SceneSession* session, EngineWorker* worker, QWidget* parent)
    : QToolBar(tr("Recovery"), parent), m_autosave(autosave), m_session(session), m_worker(worker) {
    setObjectName("recoveryBar");
    setMovable(false);
    m_label = new QLabel(this);
    m_label->setTextFormat(Qt::PlainText);  // the path comes from a file
    addWidget(m_label);
    addAction(tr("Restore"), this, &RecoveryBar::restore)->setObjectName("restore");
    addAction(tr("Discard"), this, &RecoveryBar::discard)->setObjectName("discard");
    hide();
    connect(m_worker, &EngineWorker::jobFinished, this, [this](int id, bool ok, const QString& message) {
        if (id != m_restoreJob || ok) return;
        m_restoreJob = -1;
        m_label->setText(tr("Cannot restore the autosaved scene: %1").arg(message));
    });
}

bool RecoveryBar::offer() {
    const auto recovery = m_autosave->recovery();
    if (!recovery) {
        hide();  // also when the saved window state had it showing
        return false;
    }
    const QString name =
        recovery->originalPath.isEmpty() ? tr("an unsaved scene") : QFileInfo(recovery->originalPath).fileName();
    m_label->setText(tr("Waft did not close cleanly. Restore %1 as autosaved at %2?")
                         .arg(name, recovery->savedAt.toString("yyyy-MM-dd hh:mm:ss")));
    show();
    return true;
}

int RecoveryBar::restore() {
    const auto recovery = m_autosave->recovery();
    if (!recovery) {
        m_label->setText(
            tr("Cannot restore the autosaved scene: %1").arg(QString::fromStdString(recovery.status().message())));
        return -1;
    }
    m_label->setText(tr("Restoring…"));
    m_restoreJob = m_session->openRecovered(recovery->scenePath, recovery->originalPath, recovery->strokes,
                                            recovery->clip, [this] {
                                                m_restoreJob = -1;
                                                m_autosave->restored();
                                                hide();
                                            });
    return m_restoreJob;
}

void RecoveryBar::discard() {
    m_autosave->discardRecovery();
    hide();
}

QString RecoveryBar::text() const { return m_label->text(); }

}  // namespace waft::ui
