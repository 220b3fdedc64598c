#include "MainWindow.h"

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QMenuBar>
#include <QMimeData>
#include <QSettings>
#include <QStatusBar>
#include <QToolBar>
#include <QUndoCommand>
#include <QUndoStack>
#include <opencv2/imgproc.hpp>

#include "CpuViewport.h"
#include "EngineWorker.h"
#include "ExportDialog.h"
#include "JobsPanel.h"
#include "jobs/ExtractMotionJob.h"
#include "MotionModelDialog.h"
#include "MotionPanel.h"
#include "ml/prior/ModelMemory.h"
#include "SceneController.h"
#include "jobs/SceneJobs.h"
#include "TimelineBar.h"

namespace waft::ui {

namespace {

// An undoable edit given as two functions (brush strokes: add / remove the last one).
class LambdaCommand : public QUndoCommand {
public:
    LambdaCommand(const QString& text, std::function<void()> redo, std::function<void()> undo)
        : QUndoCommand(text), m_redo(std::move(redo)), m_undo(std::move(undo)) {}
    void redo() override { m_redo(); }
    void undo() override { m_undo(); }

private:
    std::function<void()> m_redo, m_undo;
};

bool isVideo(const QString& suffix) {
    return QStringList{"mp4", "avi", "mov", "webm", "mkv", "m4v", "mpg", "mpeg"}.contains(suffix);
}

QString resourcesDir() {
    const QByteArray env = qgetenv("WAFT_RESOURCES_DIR");
    if (!env.isEmpty()) return QString::fromLocal8Bit(env);
    const QString besideBinary = QCoreApplication::applicationDirPath() + "/../share/waft";
    return QFileInfo::exists(besideBinary) ? besideBinary : QStringLiteral(WAFT_RESOURCES_DIR);
}

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle(tr("Waft"));
    setAcceptDrops(true);
    m_worker = new EngineWorker(this);

    m_controller = new SceneController(this);
    m_undo = new QUndoStack(this);
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
        m_fps->setText(tr("%1 · %2 ms/frame").arg(m_viewport->usesVulkan() ? tr("Vulkan") : tr("CPU")).arg(ms, 0, 'f', 1));
    });
    connect(m_worker, &EngineWorker::jobProgress, this, [this](int, float f, const QString& stage, double) {
        m_activity->setText(tr("Engine: %1 %2%").arg(stage).arg(int(f * 100)));
    });
    connect(m_worker, &EngineWorker::jobFinished, this, [this](int, bool ok, const QString& message) {
        m_activity->setText(ok ? tr("Engine: idle") : tr("Engine: %1").arg(message));
        if (!ok && message != "cancelled") statusBar()->showMessage(message, 10000);
    });
    // Every stroke is an undoable edit.
    connect(m_viewport, &ViewportHost::arrowPainted, this, [this](QPointF a, QPointF b) {
        const engine::MotionArrow arrow{float(a.x()), float(a.y()), float(b.x() - a.x()), float(b.y() - a.y())};
        m_undo->push(new LambdaCommand(
            tr("Motion arrow"), [this, arrow] { m_arrows.push_back(arrow); showStrokes(); },
            [this] { m_arrows.pop_back(); showStrokes(); }));
        statusBar()->showMessage(tr("%1 arrows, %2 anchors: Apply motion brush (Ctrl+B) when done")
                                     .arg(m_arrows.size()).arg(m_anchors.size()));
    });
    connect(m_viewport, &ViewportHost::anchorPlaced, this, [this](QPointF p) {
        const engine::MotionAnchor anchor{float(p.x()), float(p.y()), 0.0f};
        m_undo->push(new LambdaCommand(
            tr("Anchor"), [this, anchor] { m_anchors.push_back(anchor); showStrokes(); },
            [this] { m_anchors.pop_back(); showStrokes(); }));
        statusBar()->showMessage(tr("%1 arrows, %2 anchors").arg(m_arrows.size()).arg(m_anchors.size()));
    });
    connect(m_viewport, &ViewportHost::freezePainted, this, [this](QRectF r) {
        m_undo->push(new LambdaCommand(
            tr("Freeze region"), [this, r] { m_freezeRegions.push_back(r); showStrokes(); },
            [this] { m_freezeRegions.pop_back(); showStrokes(); }));
    });

    buildMenus();
    buildTools();
    QSettings settings;
    restoreGeometry(settings.value("window/geometry").toByteArray());
    restoreState(settings.value("window/state").toByteArray());
    if (!settings.contains("window/geometry")) resize(1280, 800);
}

MainWindow::~MainWindow() {
    m_worker->shutdown();  // before any widget a job's completion could reach goes away
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
    file->addAction(tr("Open &Sample"), this, [this] { openSample(); });
    file->addSeparator();
    file->addAction(tr("&Save Scene"), QKeySequence::Save, this, [this] {
        if (m_scenePath.endsWith(".waft")) saveSceneTo(m_scenePath);
        else if (const QString p = QFileDialog::getSaveFileName(this, tr("Save scene"), QString(), "*.waft"); !p.isEmpty())
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
        ExportDialog dialog(QFileInfo(m_scenePath).completeBaseName() + "-loop.mp4", size, loopSec, this);
        if (dialog.exec() == QDialog::Accepted) exportTo(dialog.path(), dialog.params());
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

    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->addAction(tr("&Play / Pause"), QKeySequence(Qt::Key_Space), this,
                    [this] { m_controller->setPlaying(!m_controller->isPlaying()); });
    view->addAction(tr("&Reset Motion"), QKeySequence(Qt::Key_R), m_controller, &SceneController::resetMotion);
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
    bar->addAction(tr("Clear strokes"), this, [this] { replaceStrokes(tr("Clear strokes"), engine::MotionStrokes{}); });
}

engine::MotionStrokes MainWindow::strokes() const {
    engine::MotionStrokes s;
    if (const auto scene = m_controller->scene()) {
        s.width = scene->volume.width;
        s.height = scene->volume.height;
    }
    s.arrows = m_arrows;
    s.anchors = m_anchors;
    for (const QRectF& r : m_freezeRegions)
        s.freeze.push_back({float(r.x()), float(r.y()), float(r.width()), float(r.height())});
    return s;
}

void MainWindow::replaceStrokesNow(const engine::MotionStrokes& s) {
    m_arrows = s.arrows;
    m_anchors = s.anchors;
    m_freezeRegions.clear();
    for (const auto& r : s.freeze) m_freezeRegions.emplace_back(r.x, r.y, r.width, r.height);
    showStrokes();
}

void MainWindow::replaceStrokes(const QString& title, const engine::MotionStrokes& strokes) {
    const auto scene = m_controller->scene();
    const engine::MotionStrokes next = scene ? strokes.scaledTo(scene->volume.width, scene->volume.height) : strokes;
    m_undo->push(new LambdaCommand(title, [this, next] { replaceStrokesNow(next); },
                                   [this, previous = this->strokes()] { replaceStrokesNow(previous); }));
}

bool MainWindow::loadStrokes(const QString& path) {
    auto loaded = engine::loadStrokes(path.toStdString());
    if (!loaded) {
        statusBar()->showMessage(QString::fromStdString(loaded.status().message()), 10000);
        return false;
    }
    replaceStrokes(tr("Load strokes"), *loaded);
    return true;
}

void MainWindow::showStrokes() {
    if (CpuViewport* cpu = m_viewport->cpuViewport()) {
        std::vector<QLineF> arrows;
        for (const auto& a : m_arrows) arrows.emplace_back(a.x, a.y, a.x + a.dx, a.y + a.dy);
        std::vector<QPointF> anchors;
        for (const auto& a : m_anchors) anchors.emplace_back(a.x, a.y);
        cpu->setOverlay(arrows, anchors, m_freezeRegions);
    }
}

void MainWindow::setTool(Tool tool) {
    m_viewport->setTool(tool);
    for (QAction* a : m_tools->actions()) a->setChecked(a->data().toInt() == int(tool));
}

void MainWindow::showScene(std::shared_ptr<engine::Scene> scene, const QString& path, bool brushHint,
                           const QString& undoText) {
    // Replacing the scene is one undoable step back to the previous scene, its settings, path, strokes and clip.
    // Each side remembers the path it had when it was left, so a Save As in between survives undo and redo.
    struct State {
        std::shared_ptr<const engine::Scene> scene;
        engine::SceneSettings settings;
        QString path;
        engine::MotionStrokes strokes;
        std::pair<double, double> clip{-1.0, -1.0};  // < 0: the scene's whole source
    };
    const auto restore = [this](const State& state, bool withSettings) {
        m_controller->setScene(state.scene);
        if (withSettings) m_controller->setSettings(state.settings);
        if (state.clip.first >= 0.0) m_controller->setClipRange(state.clip.first, state.clip.second);
        m_scenePath = state.path;
        setWindowTitle(tr("Waft — %1").arg(QFileInfo(state.path).fileName()));
        replaceStrokesNow(state.strokes);
    };
    const auto leave = [this](State& state) {  // what the user may have changed while it was shown
        state.settings = m_controller->settings();
        state.path = m_scenePath;
        state.strokes = strokes();
        state.clip = m_controller->clipRange();
    };
    auto next = std::make_shared<State>(State{std::move(scene), {}, path, {}});
    if (!m_controller->scene()) {
        restore(*next, false);
    } else {
        auto previous = std::make_shared<State>(State{m_controller->scene()});
        leave(*previous);
        bool first = true;
        m_undo->push(new LambdaCommand(
            undoText.isEmpty() ? tr("Open %1").arg(QFileInfo(path).fileName()) : undoText,
            [restore, leave, next, previous, first]() mutable {
                if (!first) leave(*previous);
                restore(*next, !first);
                first = false;
            },
            [restore, leave, next, previous] {
                leave(*next);
                restore(*previous, true);
            }));
    }
    if (brushHint) {
        if (MotionModelSettings::load().configured()) {
            predictMotion();
            return;
        }
        setTool(Tool::MotionBrush);
        statusBar()->showMessage(tr("No motion model configured (Motion ▸ Motion Model…): drag motion arrows on the "
                                    "photo, then Apply motion brush"));
    }
}

int MainWindow::predictMotion() {
    const auto scene = m_controller->scene();
    const MotionModelSettings model = MotionModelSettings::load();
    if (!scene || !model.configured()) {
        statusBar()->showMessage(!scene ? tr("Open a photo first")
                                        : tr("No motion model configured: Motion ▸ Motion Model… (train one with waft-cli)"));
        return -1;
    }
    const QString path = m_scenePath;
    return runSceneJob(std::make_unique<engine::prior::PredictJob>(scene->volume.reference, model.priorPath.toStdString(),
                                                                   model.vaePath.toStdString(), model.predict),
                       [](engine::prior::PredictJob& job) { return job.result(); },
                       [this, path](std::shared_ptr<engine::Scene> result) {
                           showScene(result, path, false, tr("Predict motion"));
                           setTool(Tool::Pull);
                       });
}

template <typename JobT, typename Take>
int MainWindow::runSceneJob(std::unique_ptr<JobT> job, Take take, SceneShow show) {
    // Scene jobs run on two lanes (a photo opens on the editor lane, a video extracts on the compute lane), so
    // they can finish out of order: the latest request wins, an overtaken one is dropped.
    const int request = ++m_sceneRequest;
    JobT* typed = job.get();  // completions run before the runner frees the job: the result is typed, no cast
    return m_worker->enqueue(std::move(job), [this, request, typed, take, show](engine::Job&) {
        std::shared_ptr<engine::Scene> scene = take(*typed);
        QMetaObject::invokeMethod(
            this, [this, request, show, scene] {
                if (request == m_sceneRequest) show(scene);
            },
            Qt::QueuedConnection);
    });
}

namespace {
std::shared_ptr<engine::Scene> extracted(engine::ExtractMotionJob& extractor, float speed) {
    auto scene = std::make_shared<engine::Scene>();
    scene->volume = extractor.takeResult();
    scene->source = extractor.source();
    scene->settings.speed = speed;
    return scene;
}
}  // namespace

int MainWindow::openPath(const QString& path) {
    const QString suffix = QFileInfo(path).suffix().toLower();
    const std::string file = path.toStdString();
    addRecent(path);
    const auto show = [this, path](bool brushHint) {
        return [this, path, brushHint](std::shared_ptr<engine::Scene> scene) { showScene(scene, path, brushHint); };
    };
    if (suffix == "waft")
        return runSceneJob(std::make_unique<engine::LoadSceneJob>(file),
                           [](engine::LoadSceneJob& job) { return job.result(); }, show(false));
    if (isVideo(suffix))
        return runSceneJob(std::make_unique<engine::ExtractMotionJob>(file, engine::ExtractParams{}),
                           [](engine::ExtractMotionJob& job) { return extracted(job, 1.0f); }, show(false));
    return runSceneJob(std::make_unique<engine::LoadImageJob>(file),
                       [](engine::LoadImageJob& job) { return job.result(); }, show(true));
}

int MainWindow::openSample() {
    engine::ExtractParams params;
    params.decode.maxFrames = 30;
    const QString path = resourcesDir() + "/samples/tree.avi";
    return runSceneJob(std::make_unique<engine::ExtractMotionJob>(path.toStdString(), params),
                       [](engine::ExtractMotionJob& job) { return extracted(job, 2.0f); },
                       [this, path](std::shared_ptr<engine::Scene> scene) { showScene(scene, path, false); });
}

int MainWindow::saveSceneTo(const QString& path) {
    auto snapshot = m_controller->snapshot();
    if (!snapshot) return -1;
    m_scenePath = path;
    addRecent(path);
    return m_worker->enqueue(std::make_unique<engine::SaveSceneJob>(snapshot, path.toStdString()));
}

int MainWindow::exportTo(const QString& path, const engine::AnimateParams& params) {
    auto snapshot = m_controller->snapshot();
    if (!snapshot) return -1;
    return m_worker->enqueue(std::make_unique<engine::AnimateJob>(
        std::shared_ptr<const engine::Scene>(std::move(snapshot)), path.toStdString(), params));
}

int MainWindow::applyMotionBrush() {
    const auto scene = m_controller->scene();
    if (!scene) return -1;
    engine::MotionBrushParams params;
    params.loopSec = m_controller->settings().loopSec > 0 ? m_controller->settings().loopSec : 4.0f;
    const QString path = m_scenePath;
    return runSceneJob(std::make_unique<engine::MotionBrushJob>(scene, strokes(), params),
                       [](engine::MotionBrushJob& job) { return job.result(); },
                       [this, path](std::shared_ptr<engine::Scene> result) {
                           showScene(result, path, false, tr("Apply motion brush"));  // undo: photo + strokes
                           setTool(Tool::Pull);
                       });
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

void MainWindow::closeEvent(QCloseEvent* event) {
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/state", saveState());
    m_worker->shutdown();  // running jobs are cancelled (they stop at their next step), queued ones dropped
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
