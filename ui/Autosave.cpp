#include "Autosave.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLockFile>
#include <QStandardPaths>
#include <QUndoStack>
#include <algorithm>
#include <cmath>
#include <filesystem>

#include "EngineWorker.h"
#include "SceneController.h"
#include "SceneSession.h"
#include "StrokeDocument.h"
#include "jobs/SceneJobs.h"

namespace waft::ui {

namespace {

constexpr qint64 kSessionFileMaxBytes = 64 * 1024;
constexpr int kPathMaxChars = 4096;
constexpr char kSessionFile[] = "session.json";
constexpr char kRecoveryDir[] = "recovery";

// This session's generation files other than `keep` (0: all of them).
void removeGenerations(const std::string& dir, int keep) {
    std::error_code ec;
    const std::string keepScene = "scene-" + std::to_string(keep) + ".waft";
    const std::string keepStrokes = "strokes-" + std::to_string(keep) + ".json";
    std::vector<std::filesystem::path> stale;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        const bool generation =
            (name.rfind("scene-", 0) == 0 && name.size() > 5 && name.compare(name.size() - 5, 5, ".waft") == 0) ||
            (name.rfind("strokes-", 0) == 0 && name.size() > 5 && name.compare(name.size() - 5, 5, ".json") == 0);
        if (generation && name != keepScene && name != keepStrokes) stale.push_back(entry.path());
        if (stale.size() > 64) break;  // a folder someone filled: the rest go next time
    }
    for (const auto& path : stale) std::filesystem::remove(path, ec);
}

// The session record of folder `dir`, read as untrusted: its generation, or the one line why not.
engine::Expected<QJsonObject> readSession(const QString& dir) {
    QFile file(dir + "/" + kSessionFile);
    if (!file.exists()) return engine::Status::io("no autosave to restore");
    if (file.size() > kSessionFileMaxBytes) return engine::Status::corrupt("autosave record is too large");
    if (!file.open(QIODevice::ReadOnly)) return engine::Status::io("cannot read the autosave record");
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(file.read(kSessionFileMaxBytes), &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return engine::Status::corrupt("autosave record is not valid JSON");
    const QJsonObject record = doc.object();
    if (record.value("format").toString() != "waft-autosave" || record.value("version").toInt() != 1)
        return engine::Status::corrupt("not a Waft autosave record (format/version)");
    const double generation = record.value("generation").toDouble(-1);
    if (!(generation >= 1 && generation <= 1e9) || generation != std::floor(generation))
        return engine::Status::corrupt("autosave record has no valid generation");
    return record;
}

}  // namespace

Autosave::Autosave(EngineWorker* worker, SceneController* controller, StrokeDocument* strokes, SceneSession* session,
                   QUndoStack* undo, const QString& folder, QObject* parent)
    : QObject(parent),
      m_worker(worker),
      m_controller(controller),
      m_strokes(strokes),
      m_session(session),
      m_folder(folder) {
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, [this] { saveNow(); });
    if (!QDir().mkpath(m_folder)) return;
    auto lock = std::make_unique<QLockFile>(m_folder + "/lock");
    lock->setStaleLockTime(0);  // only a dead owner's lock is stale (Qt checks its pid), never an old one
    if (!lock->tryLock(0)) return;
    m_lock = std::move(lock);
    adoptLeftover();
    // Every edit in the window is an undo step (settings, strokes, scene replacements).
    connect(undo, &QUndoStack::indexChanged, this, &Autosave::edited);
    // Queued even from this thread: a job refused at submit (after shutdown) finishes inside enqueue, before
    // saveNow() knows its id.
    connect(
        m_worker, &EngineWorker::jobFinished, this,
        [this](int id, bool ok, const QString& message) {
            if (id != m_runningJob) return;
            m_runningJob = -1;
            ++m_savesFinished;
            if (ok && m_dropRecoveryAfterSave) {
                m_dropRecoveryAfterSave = false;
                discardRecovery();
            }
            emit saved(ok, message);
            if (m_editedWhileSaving) {
                m_editedWhileSaving = false;
                edited();
            }
        },
        Qt::QueuedConnection);
}

Autosave::~Autosave() = default;

QString Autosave::defaultFolder() {
    const QByteArray env = qgetenv("WAFT_AUTOSAVE_DIR");
    if (!env.isEmpty()) return QString::fromLocal8Bit(env);
    return QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) + "/autosave";
}

void Autosave::setIntervalSec(double seconds) { m_intervalSec = std::clamp(seconds, 0.05, 3600.0); }

QString Autosave::generationFile(const QString& dir, const char* stem, int generation) const {
    const bool scene = QLatin1String(stem) == QLatin1String("scene");
    return QStringLiteral("%1/%2-%3.%4").arg(dir, QLatin1String(stem)).arg(generation).arg(scene ? "waft" : "json");
}

void Autosave::edited() {
    if (!isActive()) return;
    if (m_runningJob >= 0) {
        m_editedWhileSaving = true;
        return;
    }
    if (m_timer.isActive()) return;  // a save is already due: it will take this edit too
    // A short settle (a slider drag is many edits), and never sooner than intervalSec after the last save.
    const double settleSec = std::min(1.0, m_intervalSec);
    const double sinceSec = m_sinceSave.isValid() ? m_sinceSave.elapsed() / 1000.0 : 1e9;
    m_timer.start(int(1000.0 * std::max(settleSec, m_intervalSec - sinceSec)));
}

int Autosave::saveNow() {
    if (!isActive() || m_runningJob >= 0) return -1;
    auto snapshot = m_controller->snapshot();
    if (!snapshot) return -1;
    const int generation = ++m_generation;
    const auto clip = m_controller->clipRange();
    QJsonObject record{{"format", "waft-autosave"},
                       {"version", 1},
                       {"generation", generation},
                       {"path", m_session->scenePath()},
                       {"clip_in", clip.first},
                       {"clip_out", clip.second},
                       {"saved_unix", double(QDateTime::currentSecsSinceEpoch())}};
    std::vector<engine::SaveSceneJob::SideFile> after{
        {generationFile(m_folder, "strokes", generation).toStdString(), engine::strokesToJson(m_strokes->strokes())},
        {(m_folder + "/" + kSessionFile).toStdString(), QJsonDocument(record).toJson().toStdString()}};
    auto job = std::make_unique<engine::SaveSceneJob>(std::shared_ptr<const engine::Scene>(std::move(snapshot)),
                                                      generationFile(m_folder, "scene", generation).toStdString(),
                                                      std::move(after), "autosave");
    // The record now names this generation: the previous one's files go, on the engine thread.
    const std::string dir = m_folder.toStdString();
    m_runningJob = m_worker->enqueueBackground(std::move(job),
                                               [dir, generation](engine::Job&) { removeGenerations(dir, generation); });
    m_sinceSave.start();
    return m_runningJob;
}

void Autosave::restored() {
    if (!isActive()) return;
    m_dropRecoveryAfterSave = true;
    if (saveNow() < 0) m_editedWhileSaving = true;  // one is running: the next one takes the restored scene
}

void Autosave::discard() {
    if (!isActive() || m_kept) return;
    m_timer.stop();
    QFile::remove(m_folder + "/" + kSessionFile);  // first: without it the rest is nothing to offer
    removeGenerations(m_folder.toStdString(), 0);
}

void Autosave::adoptLeftover() {
    const auto record = readSession(m_folder);
    const int generation = record ? int(record->value("generation").toDouble()) : 0;
    const QString scene = generationFile(m_folder, "scene", generation);
    const QString strokes = generationFile(m_folder, "strokes", generation);
    if (!record || !QFileInfo::exists(scene) || !QFileInfo::exists(strokes)) {
        // None (a clean close), or one nobody could restore: an older offer stays as it was.
        QFile::remove(m_folder + "/" + kSessionFile);
        removeGenerations(m_folder.toStdString(), 0);
        return;
    }
    // Moved into a fresh folder first; only a complete move replaces the older offer (a newer crash wins).
    const QString recovery = m_folder + "/" + kRecoveryDir, incoming = recovery + ".new";
    QDir(incoming).removeRecursively();
    const bool moved = QDir().mkpath(incoming) && QFile::rename(scene, generationFile(incoming, "scene", generation)) &&
                       QFile::rename(strokes, generationFile(incoming, "strokes", generation)) &&
                       QFile::rename(m_folder + "/" + kSessionFile, incoming + "/" + kSessionFile);
    if (!moved) {  // leave every file where it is; this session's generations start after it
        m_generation = generation;
        return;
    }
    QDir(recovery).removeRecursively();
    if (!QDir().rename(incoming, recovery)) m_generation = generation;
    removeGenerations(m_folder.toStdString(), 0);
}

engine::Expected<Autosave::Recovery> Autosave::recovery() const {
    if (!isActive()) return engine::Status::io("another Waft owns the autosave folder");
    const QString dir = m_folder + "/" + kRecoveryDir;
    const auto record = readSession(dir);
    if (!record) return record.status();
    const int generation = int(record->value("generation").toDouble());
    Recovery recovery;
    recovery.scenePath = generationFile(dir, "scene", generation);
    if (!QFileInfo::exists(recovery.scenePath)) return engine::Status::corrupt("the autosaved scene is missing");
    recovery.originalPath = record->value("path").toString().left(kPathMaxChars);
    const double in = record->value("clip_in").toDouble(-1), out = record->value("clip_out").toDouble(-1);
    if (std::isfinite(in) && std::isfinite(out) && in >= 0.0 && out > in && out < 1e7) recovery.clip = {in, out};
    recovery.savedAt =
        QDateTime::fromSecsSinceEpoch(qint64(std::clamp(record->value("saved_unix").toDouble(), 0.0, 4e9)));
    auto strokes = engine::loadStrokes(generationFile(dir, "strokes", generation).toStdString());
    if (!strokes) return strokes.status();
    recovery.strokes = std::move(strokes).value();
    return recovery;
}

void Autosave::discardRecovery() {
    if (isActive()) QDir(m_folder + "/" + kRecoveryDir).removeRecursively();
}

}  // namespace waft::ui
