#include "MainWindow.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QToolBar>
#include <QUndoStack>

#include "Autosave.h"
#include "CpuViewport.h"
#include "EngineWorker.h"
#include "ExportDialog.h"
#include "JobsPanel.h"
#include "MotionModelDialog.h"
#include "MotionPanel.h"
#include "RecoveryBar.h"
#include "SceneController.h"
#include "SceneSession.h"
#include "StrokeDocument.h"
#include "Theme.h"
#include "TimelineBar.h"
#include "TipsOverlay.h"
#include "VideoJobDialog.h"
#include "VideoJobsPanel.h"
#include "core/Resources.h"
#include "core/Version.h"
#include "ml/prior/ModelMemory.h"

namespace waft::ui {

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle(tr("Waft"));
    setAcceptDrops(true);
    m_worker = new EngineWorker(this);

    m_controller = new SceneController(this);
    m_undo = new QUndoStack(this);
    m_strokes = new StrokeDocument(m_controller, m_undo, this);
    m_session = new SceneSession(m_worker, m_controller, m_strokes, m_undo, this);
    m_autosave = new Autosave(m_worker, m_controller, m_strokes, m_session, m_undo, Autosave::defaultFolder(), this);
    m_autosave->setIntervalSec(QSettings().value("autosave/intervalSec", 15.0).toDouble());
    m_recovery = new RecoveryBar(m_autosave, m_session, m_worker, this);
    addToolBar(Qt::TopToolBarArea, m_recovery);
    m_viewport = new ViewportHost(m_controller, this);
    setCentralWidget(m_viewport);

    auto* motionDock = new QDockWidget(tr("Motion"), this);
    motionDock->setObjectName("motionDock");
    m_motion = new MotionPanel(m_controller, m_undo, motionDock);
    motionDock->setWidget(m_motion);
    addDockWidget(Qt::RightDockWidgetArea, motionDock);
    auto* jobsDock = new QDockWidget(tr("Jobs"), this);
    jobsDock->setObjectName("jobsDock");
    m_jobs = new JobsPanel(m_worker, jobsDock);
    jobsDock->setWidget(m_jobs);
    addDockWidget(Qt::RightDockWidgetArea, jobsDock);
    auto* timelineDock = new QDockWidget(tr("Timeline"), this);
    timelineDock->setObjectName("timelineDock");
    m_timeline = new TimelineBar(m_controller, timelineDock);
    timelineDock->setWidget(m_timeline);
    addDockWidget(Qt::BottomDockWidgetArea, timelineDock);

    m_fps = new QLabel(this);
    m_activity = new QLabel(this);
    // Permanent widgets (right): what the engine does, and the renderer with its frame time. Temporary
    // messages (left) never cover them.
    statusBar()->addPermanentWidget(m_activity);
    statusBar()->addPermanentWidget(m_fps);
    m_activity->setText(tr("Engine: idle"));
    m_fps->setText(m_viewport->backendDescription());
    statusBar()->showMessage(m_viewport->backendDescription(), 8000);
    connect(m_viewport, &ViewportHost::frameRendered, this, [this](double ms) {
        m_fps->setText(tr("%1 · %2 ms/frame (%3 fps)")
                           .arg(m_viewport->usesVulkan() ? tr("Vulkan") : tr("CPU"))
                           .arg(ms, 0, 'f', 1)
                           .arg(ms > 0.0 ? 1000.0 / ms : 0.0, 0, 'f', 0));
    });
    connect(m_worker, &EngineWorker::jobProgress, this, [this](int, float f, const QString& stage, double) {
        m_activity->setText(tr("Engine: %1 %2%").arg(stage).arg(int(f * 100)));
    });
    connect(m_worker, &EngineWorker::jobFinished, this, [this](int, bool ok, const QString& message) {
        m_activity->setText(ok ? tr("Engine: idle") : tr("Engine: %1").arg(message));
        if (!ok && message != "cancelled") statusBar()->showMessage(message, 10000);
    });
    // Every stroke is an undoable edit (StrokeDocument).
    connect(m_viewport, &ViewportHost::arrowPainted, this, [this](QPointF a, QPointF b) {
        m_strokes->addArrow({float(a.x()), float(a.y()), float(b.x() - a.x()), float(b.y() - a.y())});
        statusBar()->showMessage(tr("%1 arrows, %2 anchors: Apply motion brush (Ctrl+B) when done")
                                     .arg(m_strokes->arrows().size())
                                     .arg(m_strokes->anchors().size()));
    });
    connect(m_viewport, &ViewportHost::anchorPlaced, this, [this](QPointF p) {
        m_strokes->addAnchor({float(p.x()), float(p.y()), 0.0f});
        statusBar()->showMessage(
            tr("%1 arrows, %2 anchors").arg(m_strokes->arrows().size()).arg(m_strokes->anchors().size()));
    });
    connect(m_viewport, &ViewportHost::freezePainted, m_strokes, &StrokeDocument::addFreezeRegion);
    connect(m_strokes, &StrokeDocument::changed, this, &MainWindow::showStrokes);
    connect(m_session, &SceneSession::scenePathChanged, this,
            [this](const QString& path) { setWindowTitle(tr("Waft — %1").arg(QFileInfo(path).fileName())); });
    connect(m_session, &SceneSession::toolSuggested, this, &MainWindow::setTool);
    connect(m_session, &SceneSession::message, this,
            [this](const QString& text, int timeoutMs) { statusBar()->showMessage(text, timeoutMs); });
    connect(m_session, &SceneSession::recentFileUsed, this, &MainWindow::addRecent);
    connect(m_autosave, &Autosave::saved, this, [this](bool ok, const QString& message) {
        if (!ok && message != "cancelled") statusBar()->showMessage(tr("Autosave failed: %1").arg(message), 10000);
    });

    // Over the CPU viewport; above the Vulkan one, whose native window would hide a widget drawn over it.
    m_tips = new TipsOverlay(m_viewport, !m_viewport->usesVulkan());
    if (m_viewport->usesVulkan()) m_viewport->insertBanner(m_tips);
    buildMenus();
    buildTools();
    // The side panel reads top to bottom: Motion, Video jobs, Jobs.
    auto* videoDock = new QDockWidget(tr("Video jobs"), this);
    videoDock->setObjectName("videoJobsDock");
    m_videoPanel = new VideoJobsPanel(m_videoJobs, videoDock);
    videoDock->setWidget(m_videoPanel);
    splitDockWidget(motionDock, videoDock, Qt::Vertical);
    updateVideoJobs();
    QSettings settings;
    restoreGeometry(settings.value("window/geometry").toByteArray());
    restoreState(settings.value("window/state").toByteArray());
    if (!settings.contains("window/geometry")) resize(1280, 800);
    // A scene a killed session was editing, autosaved (Autosave), is offered above the viewport.
    m_recovery->offer();
    m_tips->offer(false);  // the first start's three tips, until dismissed
    // A training the last session did not finish (crash, kill -9, the window closed during it) is offered.
    if (const int interrupted = m_jobs->offerInterrupted()) {
        jobsDock->show();
        jobsDock->raise();
        statusBar()->showMessage(tr("%n interrupted job(s) can be resumed from the Jobs panel", nullptr, interrupted),
                                 15000);
    }
}

MainWindow::~MainWindow() {
    m_worker->shutdown();   // before any widget a job's completion could reach goes away
    m_autosave->discard();  // an orderly end (a crash never gets here): nothing to recover
}

QString MainWindow::aboutText() {
    return tr("%1\n\nInteractive image dynamics: Generative Image Dynamics, Spectral Motion Alignment and SAVE.\n"
              "Qt %2.")
        .arg(QString::fromStdString(engine::versionLine("Waft")), QString::fromLatin1(qVersion()));
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open…"), QKeySequence::Open, this, [this] {
        const QString path = QFileDialog::getOpenFileName(
            this, tr("Open"), QString(),
            tr("Scenes, videos and images (*.waft *.mp4 *.avi *.mov *.webm *.mkv *.png *.jpg *.jpeg *.bmp *.tif *.tiff)"));
        if (!path.isEmpty()) openPath(path);
    });
    m_recent = file->addMenu(tr("Open &Recent"));
    rebuildRecent();
    QMenu* samples = file->addMenu(tr("Open &Sample"));
    samples->addAction(tr("&Meadow (photo, brought to life by its strokes)"), this, [this] { openSample(); });
    samples->addAction(tr("&Tree (video: motion extracted from the clip)"), this, [this] { openVideoSample(); });
    file->addSeparator();
    file->addAction(tr("&Save Scene"), QKeySequence::Save, this, [this] {
        if (m_session->scenePath().endsWith(".waft"))
            saveSceneTo(m_session->scenePath());
        else if (const QString p = QFileDialog::getSaveFileName(this, tr("Save scene"), QString(), "*.waft");
                 !p.isEmpty())
            saveSceneTo(p);
    });
    file->addAction(tr("Save Scene &As…"), QKeySequence::SaveAs, this, [this] {
        if (const QString p = QFileDialog::getSaveFileName(this, tr("Save scene"), QString(), "*.waft"); !p.isEmpty())
            saveSceneTo(p);
    });
    file->addAction(tr("&Export…"), QKeySequence(tr("Ctrl+E")), this, [this] {
        const auto scene = m_controller->scene();
        const QSize size = scene ? QSize(scene->volume.width, scene->volume.height) : QSize();
        const double loopSec = scene ? engine::defaultLoopSec(scene->volume, m_controller->settings()) : 0.0;
        ExportDialog dialog(QFileInfo(m_session->scenePath()).completeBaseName() + "-loop.mp4", size, loopSec, this);
        if (dialog.exec() != QDialog::Accepted) return;
        m_lastExport = dialog.params();
        m_jobs->setResultFile(exportTo(dialog.path(), dialog.params(), dialog.rendererModel()), dialog.path());
    });
    QAction* share =
        file->addAction(tr("S&hare Loop"), QKeySequence(tr("Ctrl+Shift+E")), this, [this] { shareLoop(); });
    share->setToolTip(tr("Export a seamless loop next to the scene in one click and copy its path (Ctrl+Shift+E)"));
    m_shareAction = share;
    file->addAction(tr("Export Interactive &Web Page…"), QKeySequence(tr("Ctrl+Alt+E")), this, [this] {
        if (!m_controller->scene()) {
            statusBar()->showMessage(tr("Open a scene first"), 8000);
            return;
        }
        const QString suggested = QFileInfo(m_session->scenePath()).completeBaseName() + ".html";
        const QString p =
            QFileDialog::getSaveFileName(this, tr("Export interactive web page"), suggested, tr("Web page (*.html)"));
        if (p.isEmpty()) return;
        const QString page = p.endsWith(".html") ? p : p + ".html";
        m_jobs->setResultFile(exportWebPage(page), page);
    });
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* undo = m_undo->createUndoAction(this, tr("&Undo"));
    undo->setShortcut(QKeySequence::Undo);
    QAction* redo = m_undo->createRedoAction(this, tr("&Redo"));
    redo->setShortcut(QKeySequence::Redo);
    edit->addAction(undo);
    edit->addAction(redo);

    QMenu* motion = menuBar()->addMenu(tr("&Motion"));
    motion->addAction(tr("&Predict Motion"), QKeySequence(tr("Ctrl+M")), this, [this] { predictMotion(); });
    motion->addSeparator();
    motion->addAction(tr("&Save Strokes…"), this, [this] {
        if (!m_controller->scene()) {
            statusBar()->showMessage(tr("Open a photo and paint strokes first"), 8000);
            return;
        }
        const QString p = QFileDialog::getSaveFileName(this, tr("Save strokes"), QString(), "*.json");
        if (p.isEmpty()) return;
        if (const auto s = engine::saveStrokes(p.toStdString(), strokes()); !s)
            statusBar()->showMessage(QString::fromStdString(s.message()), 10000);
    });
    motion->addAction(tr("&Load Strokes…"), this, [this] {
        const QString p = QFileDialog::getOpenFileName(this, tr("Load strokes"), QString(), "*.json");
        if (!p.isEmpty()) loadStrokes(p);
    });
    motion->addSeparator();
    motion->addAction(tr("&Free Model Memory"), this, [this] {
        const size_t held = engine::prior::cachedModelCount();
        engine::prior::releaseCachedModels();
        statusBar()->showMessage(tr("Freed %n cached model(s)", nullptr, int(held)), 5000);
    });
    motion->addAction(tr("Motion &Model…"), this, [this] {
        MotionModelDialog dialog(MotionModelSettings::load(), this);
        if (dialog.exec() == QDialog::Accepted) dialog.settings().save();
    });

    // The video jobs run on the timeline's clip of the scene's source video; each says what it needs.
    QMenu* video = menuBar()->addMenu(tr("Vi&deo"));
    video->setToolTipsVisible(true);
    m_videoJobs = {video->addAction(tr("&Transfer Motion…")), video->addAction(tr("&Edit with Text…"))};
    for (size_t i = 0; i < m_videoJobs.size(); ++i)
        connect(m_videoJobs[i], &QAction::triggered, this, [this, i] {
            const auto clip = m_controller->selectedClip();
            if (!clip) return;
            VideoJobDialog dialog(VideoJobSettings::load(i == 0 ? VideoJobKind::Transfer : VideoJobKind::Edit),
                                  tr("Clip: %1, %2 to %3 s")
                                      .arg(QFileInfo(QString::fromStdString(clip->videoPath)).fileName())
                                      .arg(clip->inSec, 0, 'f', 2)
                                      .arg(clip->outSec, 0, 'f', 2),
                                  this);
            if (dialog.exec() != QDialog::Accepted) return;
            dialog.settings().save();
            runVideoJob(dialog.settings());
        });
    connect(m_controller, &SceneController::sceneChanged, this, &MainWindow::updateVideoJobs);
    connect(m_controller, &SceneController::clipRangeChanged, this, &MainWindow::updateVideoJobs);
    updateVideoJobs();

    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->addAction(tr("&Play / Pause"), QKeySequence(Qt::Key_Space), this,
                    [this] { m_controller->setPlaying(!m_controller->isPlaying()); });
    view->addAction(tr("&Reset Motion"), QKeySequence(Qt::Key_R), m_controller, &SceneController::resetMotion);
    view->addSeparator();
    QMenu* theme = view->addMenu(tr("&Theme"));
    auto* themes = new QActionGroup(this);
    const ThemeChoice saved = savedTheme();
    for (const auto& [name, choice] :
         {std::pair{tr("Follow the &Desktop"), ThemeChoice::FollowDesktop}, std::pair{tr("&Light"), ThemeChoice::Light},
          std::pair{tr("D&ark"), ThemeChoice::Dark}}) {
        QAction* a = theme->addAction(name, this, [c = choice] {
            saveTheme(c);
            applyTheme(c);
        });
        a->setCheckable(true);
        a->setChecked(choice == saved);
        themes->addAction(a);
    }

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("Show &Tips"), this, [this] { m_tips->offer(true); });
    help->addAction(tr("&Keyboard Shortcuts"), QKeySequence::HelpContents, this,
                    [this] { QMessageBox::information(this, tr("Keyboard shortcuts"), shortcutsText()); });
    help->addAction(tr("&About Waft"), this, [this] { QMessageBox::about(this, tr("About Waft"), aboutText()); });
}

QString MainWindow::shortcutsText() const {
    // Every action with a shortcut, menus and tools alike, in the order they were made.
    QString rows;
    QStringList seen;
    for (const QAction* action : findChildren<QAction*>()) {
        if (action->shortcut().isEmpty()) continue;
        const QString key = action->shortcut().toString(QKeySequence::NativeText);
        const QString name = QString(action->text()).remove('&').remove(QStringLiteral("…"));
        if (seen.contains(key + name)) continue;
        seen << key + name;
        rows += QStringLiteral("<tr><td><b>%1</b></td><td>&nbsp;&nbsp;%2</td></tr>")
                    .arg(key.toHtmlEscaped(), name.toHtmlEscaped());
    }
    return QStringLiteral("<table>%1</table><p>%2</p>")
        .arg(rows, tr("Middle drag pans and the wheel zooms in every tool; double-click fits in Pan/Zoom."));
}

namespace {
QString sentence(QString line) {  // an engine message ("this scene was made from a photo: …") as a sentence
    if (!line.isEmpty()) line[0] = line[0].toUpper();
    return line;
}
}  // namespace

void MainWindow::updateVideoJobs() {
    const auto clip = m_controller->selectedClip();
    const QString names[] = {tr("motion transfer"), tr("text-driven editing")};
    const QString does[] = {tr("give its motion to a new prompt"), tr("edit it as a prompt says")};
    for (size_t i = 0; i < m_videoJobs.size(); ++i) {
        QString why;
        if (!m_controller->scene())
            why = tr("Open a video first: %1 runs on a clip of a scene's source video").arg(names[i]);
        else if (!clip)
            why = QString::fromStdString(clip.status().message());
        else
            why = tr("Tune a Stable Diffusion 1.x model on the selected clip (%1 to %2 s) and %3")
                      .arg(clip->inSec, 0, 'f', 2)
                      .arg(clip->outSec, 0, 'f', 2)
                      .arg(does[i]);
        m_videoJobs[i]->setEnabled(m_controller->scene() && clip.hasValue());
        m_videoJobs[i]->setToolTip(why);
        m_videoJobs[i]->setStatusTip(why);
    }
    if (!m_videoPanel) return;
    if (clip)
        m_videoPanel->setStatusLine(tr("On the timeline's clip, %1 to %2 s: tune a Stable Diffusion 1.x model to give "
                                       "its motion to a new prompt, or to edit it as a prompt says.")
                                        .arg(clip->inSec, 0, 'f', 2)
                                        .arg(clip->outSec, 0, 'f', 2));
    else
        m_videoPanel->setStatusLine(
            m_controller->scene()
                ? tr("%1. Open a video (File ▸ Open Sample ▸ Tree) and choose a clip on the timeline.")
                      .arg(sentence(QString::fromStdString(clip.status().message())))
                : tr("Open a video to run motion transfer or text-driven editing on a clip of it."));
}

void MainWindow::buildTools() {
    QToolBar* bar = addToolBar(tr("Tools"));
    bar->setObjectName("tools");
    m_tools = new QActionGroup(this);
    const auto tool = [&](const QString& name, const QString& key, Tool t, const QString& tip) {
        QAction* a = bar->addAction(name);
        a->setCheckable(true);
        a->setShortcut(QKeySequence(key));
        a->setToolTip(tip + QStringLiteral(" (%1)").arg(key));
        a->setData(int(t));
        m_tools->addAction(a);
        connect(a, &QAction::triggered, this, [this, t] { setTool(t); });
        return a;
    };
    tool(tr("Pull"), "P", Tool::Pull, tr("Press, drag and release to pull the scene"))->setChecked(true);
    tool(tr("Motion brush"), "B", Tool::MotionBrush, tr("Drag arrows: direction and strength of motion"));
    tool(tr("Anchor"), "A", Tool::Anchor, tr("Click points that must stay still"));
    tool(tr("Freeze mask"), "F", Tool::FreezeMask, tr("Drag rectangles that must not move"));
    tool(tr("Pan/Zoom"), "Z", Tool::PanZoom, tr("Drag to pan, wheel to zoom, double-click to fit"));
    bar->addSeparator();
    bar->addAction(tr("Apply motion brush"), QKeySequence(tr("Ctrl+B")), this, [this] { applyMotionBrush(); });
    bar->addAction(tr("Clear strokes"), this,
                   [this] { m_strokes->replace(tr("Clear strokes"), engine::MotionStrokes{}); });
    bar->addSeparator();
    if (m_shareAction) bar->addAction(m_shareAction);
}

const std::vector<engine::MotionArrow>& MainWindow::arrows() const { return m_strokes->arrows(); }

engine::MotionStrokes MainWindow::strokes() const { return m_strokes->strokes(); }

bool MainWindow::loadStrokes(const QString& path) {
    if (const engine::Status s = m_strokes->load(path); !s) {
        statusBar()->showMessage(QString::fromStdString(s.message()), 10000);
        return false;
    }
    return true;
}

void MainWindow::showStrokes() {
    if (CpuViewport* cpu = m_viewport->cpuViewport()) {
        std::vector<QLineF> arrows;
        for (const auto& a : m_strokes->arrows()) arrows.emplace_back(a.x, a.y, a.x + a.dx, a.y + a.dy);
        std::vector<QPointF> anchors;
        for (const auto& a : m_strokes->anchors()) anchors.emplace_back(a.x, a.y);
        cpu->setOverlay(arrows, anchors, m_strokes->freezeRegions());
    }
}

void MainWindow::setTool(Tool tool) {
    m_viewport->setTool(tool);
    for (QAction* a : m_tools->actions()) a->setChecked(a->data().toInt() == int(tool));
}

int MainWindow::openPath(const QString& path) { return m_session->openPath(path); }
int MainWindow::openSample() { return m_session->openSample(); }
int MainWindow::openVideoSample() { return m_session->openVideoSample(); }
int MainWindow::saveSceneTo(const QString& path) { return m_session->saveSceneTo(path); }
int MainWindow::exportTo(const QString& path, const engine::AnimateParams& params, const QString& rendererModel) {
    return m_session->exportTo(path, params, rendererModel);
}

int MainWindow::exportWebPage(const QString& path) { return m_session->exportWebPage(path); }

int MainWindow::shareLoop() {
    if (!m_controller->scene()) {
        statusBar()->showMessage(tr("Open a scene first"), 8000);
        return -1;
    }
    // Beside the scene when that folder takes files (not the installed samples' folder), else ~/Videos.
    const QFileInfo scene(m_session->scenePath());
    QString folder = scene.absolutePath();
    const QString resources = QFileInfo(QString::fromStdString(engine::resourcesDir())).absoluteFilePath();
    if (m_session->scenePath().isEmpty() || !QFileInfo(folder).isWritable() || folder.startsWith(resources)) {
        folder = QStandardPaths::writableLocation(QStandardPaths::MoviesLocation);
        if (folder.isEmpty()) folder = QDir::homePath();
        QDir().mkpath(folder);
    }
    const QString base = scene.completeBaseName().isEmpty() ? QStringLiteral("waft") : scene.completeBaseName();
    QString path = QDir(folder).filePath(base + "-loop.mp4");
    for (int n = 2; QFileInfo::exists(path) && n < 1000; ++n)
        path = QDir(folder).filePath(QStringLiteral("%1-loop-%2.mp4").arg(base).arg(n));
    engine::AnimateParams params = m_lastExport;
    params.loop = true;
    const int id = exportTo(path, params);
    if (id < 0) return id;
    m_jobs->setResultFile(id, path);
    m_lastShared = path;
    QGuiApplication::clipboard()->setText(path);
    statusBar()->showMessage(tr("Sharing the loop as %1 (the path is on the clipboard)").arg(path), 10000);
    return id;
}
int MainWindow::applyMotionBrush() { return m_session->applyMotionBrush(); }
int MainWindow::predictMotion() { return m_session->predictMotion(); }

int MainWindow::runVideoJob(const VideoJobSettings& settings) {
    const auto clip = m_controller->selectedClip();
    if (!clip) {
        statusBar()->showMessage(QString::fromStdString(clip.status().message()), 10000);
        return -1;
    }
    return m_session->runVideoJob(settings.makeJob(QString::fromStdString(clip->videoPath), clip->inSec, clip->outSec),
                                  settings.output);
}

void MainWindow::addRecent(const QString& path) {
    QSettings settings;
    QStringList recent = settings.value("recentFiles").toStringList();
    recent.removeAll(path);
    recent.prepend(path);
    while (recent.size() > 8) recent.removeLast();
    settings.setValue("recentFiles", recent);
    rebuildRecent();
}

void MainWindow::rebuildRecent() {
    if (!m_recent) return;
    m_recent->clear();
    for (const QString& path : QSettings().value("recentFiles").toStringList())
        m_recent->addAction(QFileInfo(path).fileName(), this, [this, path] { openPath(path); })->setToolTip(path);
}

void MainWindow::changeEvent(QEvent* event) {
    // The desktop switched between light and dark (where its platform theme tells Qt).
    if (event->type() == QEvent::ThemeChange && savedTheme() == ThemeChoice::FollowDesktop)
        applyTheme(ThemeChoice::FollowDesktop);
    QMainWindow::changeEvent(event);
}

void MainWindow::closeEvent(QCloseEvent* event) {
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/state", saveState());
    // Running jobs are cancelled (they stop at their next step), queued ones dropped: if a save was among them,
    // the next start offers what was autosaved instead of nothing.
    if (m_worker->isBusy()) m_autosave->keepForNextStart();
    m_worker->shutdown();
    m_autosave->discard();
    event->accept();
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const auto urls = event->mimeData()->urls();
    if (!urls.isEmpty() && urls.first().isLocalFile()) openPath(urls.first().toLocalFile());
}

}  // namespace waft::ui
