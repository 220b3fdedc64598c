#include "SceneSession.h"

#include <QFileInfo>
#include <QStringList>
#include <QUndoStack>

#include "EngineWorker.h"
#include "LambdaCommand.h"
#include "MotionModelDialog.h"
#include "SceneController.h"
#include "StrokeDocument.h"
#include "core/Resources.h"
#include "jobs/ExtractMotionJob.h"
#include "jobs/SceneJobs.h"
#include "jobs/WebPageJob.h"
#include "ml/render/NeuralRenderBackend.h"

namespace waft::ui {

namespace {

bool isVideo(const QString& suffix) {
    return QStringList{"mp4", "avi", "mov", "webm", "mkv", "m4v", "mpg", "mpeg"}.contains(suffix);
}

std::shared_ptr<engine::Scene> extracted(engine::ExtractMotionJob& extractor, float speed) {
    auto scene = std::make_shared<engine::Scene>();
    scene->volume = extractor.takeResult();
    scene->source = extractor.source();
    scene->settings.speed = speed;
    return scene;
}

}  // namespace

SceneSession::SceneSession(EngineWorker* worker, SceneController* controller, StrokeDocument* strokes, QUndoStack* undo,
                           QObject* parent)
    : QObject(parent), m_worker(worker), m_controller(controller), m_strokes(strokes), m_undo(undo) {}

template <typename JobT, typename Take>
int SceneSession::runSceneJob(std::unique_ptr<JobT> job, Take take, SceneShow show) {
    const int request = ++m_sceneRequest;
    JobT* typed = job.get();  // completions run before the runner frees the job: the result is typed, no cast
    return m_worker->enqueue(std::move(job), [this, request, typed, take, show](engine::Job&) {
        std::shared_ptr<engine::Scene> scene = take(*typed);
        QMetaObject::invokeMethod(
            this,
            [this, request, show, scene] {
                if (request == m_sceneRequest) show(scene);
            },
            Qt::QueuedConnection);
    });
}

void SceneSession::showScene(std::shared_ptr<engine::Scene> scene, const QString& path, bool brushHint,
                             const QString& undoText) {
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
        emit scenePathChanged(state.path);
        m_strokes->setNow(state.strokes);
    };
    const auto leave = [this](State& state) {  // what the user may have changed while it was shown
        state.settings = m_controller->settings();
        state.path = m_scenePath;
        state.strokes = m_strokes->strokes();
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
        emit toolSuggested(Tool::MotionBrush);
        emit message(tr("No motion model configured (Motion ▸ Motion Model…): drag motion arrows on the photo, "
                        "then Apply motion brush"),
                     0);
    }
}

int SceneSession::openPath(const QString& path) {
    const QString suffix = QFileInfo(path).suffix().toLower();
    const std::string file = path.toStdString();
    emit recentFileUsed(path);
    const auto show = [this, path](bool brushHint) {
        return [this, path, brushHint](std::shared_ptr<engine::Scene> scene) { showScene(scene, path, brushHint); };
    };
    if (suffix == "waft")
        return runSceneJob(
            std::make_unique<engine::LoadSceneJob>(file), [](engine::LoadSceneJob& job) { return job.result(); },
            show(false));
    if (isVideo(suffix))
        return runSceneJob(
            std::make_unique<engine::ExtractMotionJob>(file, engine::ExtractParams{}),
            [](engine::ExtractMotionJob& job) { return extracted(job, 1.0f); }, show(false));
    return runSceneJob(
        std::make_unique<engine::LoadImageJob>(file), [](engine::LoadImageJob& job) { return job.result(); },
        show(true));
}

int SceneSession::openSample() {
    // The meadow photo brought to life by its shipped strokes, ready to pull: arrows of 60 px reach (the
    // default, 15% of the short side, makes every seed head move with every other), and as many natural
    // frequencies as seed heads (10, over 12 bands of a 6 s loop: 0.17 to 1.7 Hz), so a pulled head swings on
    // its own; no bending wave (a head sways as one piece).
    engine::MotionBrushParams params;
    params.loopSec = 6.0f;
    params.bands = 12;
    params.naturalHarmonics = 10;
    params.radiusPx = 60.0f;
    params.waveLengthPx = 1e5f;
    const QString path = QString::fromStdString(engine::bundledPhotoSample());
    return runSceneJob(
        std::make_unique<engine::BrushPhotoJob>(path.toStdString(), engine::bundledPhotoSampleStrokes(), params),
        [](engine::BrushPhotoJob& job) { return job.result(); },
        [this, path](std::shared_ptr<engine::Scene> scene) {
            // A seed head on its stem springs back within seconds; the default damping (0.08) lets the slowest
            // heads swing on for half a minute.
            scene->settings.dampingRatio = 0.2f;
            showScene(scene, path, false);
            emit toolSuggested(Tool::Pull);
        });
}

int SceneSession::openVideoSample() {
    engine::ExtractParams params;
    params.decode.maxFrames = 30;
    const QString path = QString::fromStdString(engine::bundledSample());
    return runSceneJob(
        std::make_unique<engine::ExtractMotionJob>(path.toStdString(), params),
        [](engine::ExtractMotionJob& job) { return extracted(job, 2.0f); },
        [this, path](std::shared_ptr<engine::Scene> scene) { showScene(scene, path, false); });
}

int SceneSession::openRecovered(const QString& scenePath, const QString& originalPath,
                                const engine::MotionStrokes& strokes, std::pair<double, double> clip,
                                std::function<void()> onShown) {
    return runSceneJob(
        std::make_unique<engine::LoadSceneJob>(scenePath.toStdString()),
        [](engine::LoadSceneJob& job) { return job.result(); },
        [this, originalPath, strokes, clip, onShown](std::shared_ptr<engine::Scene> scene) {
            showScene(scene, originalPath, false, tr("Restore unsaved scene"));
            m_strokes->setNow(strokes.scaledTo(scene->volume.width, scene->volume.height));
            if (clip.first >= 0.0) m_controller->setClipRange(clip.first, clip.second);
            if (onShown) onShown();
        });
}

int SceneSession::saveSceneTo(const QString& path) {
    auto snapshot = m_controller->snapshot();
    if (!snapshot) return -1;
    // The scene takes the new path once it is written there (a failed save leaves it where it was), unless
    // another scene was opened meanwhile.
    std::shared_ptr<const engine::Scene> saved = m_controller->scene();
    return m_worker->enqueue(std::make_unique<engine::SaveSceneJob>(snapshot, path.toStdString()),
                             [this, path, saved](engine::Job&) {
                                 QMetaObject::invokeMethod(
                                     this,
                                     [this, path, saved] {
                                         emit recentFileUsed(path);
                                         if (m_controller->scene() != saved) return;
                                         m_scenePath = path;
                                         emit scenePathChanged(path);
                                     },
                                     Qt::QueuedConnection);
                             });
}

int SceneSession::exportTo(const QString& path, const engine::AnimateParams& params, const QString& rendererModel) {
    auto snapshot = m_controller->snapshot();
    if (!snapshot) return -1;
    std::shared_ptr<const engine::Scene> scene(std::move(snapshot));
    if (rendererModel.isEmpty())
        return m_worker->enqueue(std::make_unique<engine::AnimateJob>(scene, path.toStdString(), params));
    // The renderer file is read when the job starts, on the engine thread; a bad one fails the export in one
    // line and changes nothing else.
    const std::string model = rendererModel.toStdString();
    engine::RenderBackendFactory neural =
        [model](const engine::SpectralVolume& volume) -> engine::Expected<std::unique_ptr<engine::RenderBackend>> {
        auto factory = engine::render::neuralRenderBackend(model, {});
        if (!factory) return factory.status();
        return (*factory)(volume);
    };
    return m_worker->enqueue(std::make_unique<engine::AnimateJob>(scene, path.toStdString(), params, neural));
}

int SceneSession::exportWebPage(const QString& path) {
    auto snapshot = m_controller->snapshot();
    if (!snapshot) return -1;
    return m_worker->enqueue(std::make_unique<engine::WebPageJob>(
        std::shared_ptr<const engine::Scene>(std::move(snapshot)), path.toStdString(), engine::WebPageParams{}));
}

int SceneSession::applyMotionBrush() {
    const auto scene = m_controller->scene();
    if (!scene) return -1;
    engine::MotionBrushParams params;
    params.loopSec = m_controller->settings().loopSec > 0 ? m_controller->settings().loopSec : 4.0f;
    const QString path = m_scenePath;
    return runSceneJob(
        std::make_unique<engine::MotionBrushJob>(scene, m_strokes->strokes(), params),
        [](engine::MotionBrushJob& job) { return job.result(); },
        [this, path](std::shared_ptr<engine::Scene> result) {
            showScene(result, path, false, tr("Apply motion brush"));  // undo: photo + strokes
            emit toolSuggested(Tool::Pull);
        });
}

int SceneSession::predictMotion() {
    const auto scene = m_controller->scene();
    const MotionModelSettings model = MotionModelSettings::load();
    if (!scene || !model.configured()) {
        emit message(!scene ? tr("Open a photo first")
                            : tr("No motion model configured: Motion ▸ Motion Model… (train one with waft-cli)"),
                     0);
        return -1;
    }
    const QString path = m_scenePath;
    return runSceneJob(
        std::make_unique<engine::prior::PredictJob>(scene->volume.reference, model.priorPath.toStdString(),
                                                    model.vaePath.toStdString(), model.predict),
        [](engine::prior::PredictJob& job) { return job.result(); },
        [this, path](std::shared_ptr<engine::Scene> result) {
            showScene(result, path, false, tr("Predict motion"));
            emit toolSuggested(Tool::Pull);
        });
}

int SceneSession::runVideoJob(std::unique_ptr<engine::Job> job, const QString& output) {
    const QString name = QString::fromStdString(job->name());
    return m_worker->enqueue(std::move(job), [this, output, name](engine::Job&) {
        QMetaObject::invokeMethod(
            this,
            [this, output, name] {
                emit message(tr("The %1 wrote %2: opening it").arg(name, output), 8000);
                openPath(output);
            },
            Qt::QueuedConnection);
    });
}

}  // namespace waft::ui
