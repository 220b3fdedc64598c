// Autosave and crash recovery, through the real window: a child process (this binary, in child mode) edits a
// scene and is killed with SIGKILL; the next window offers the autosave, and restoring it gives the same scene
// bytes and strokes. Also: the interval, a clean close, a second instance, a damaged autosave.
#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QSlider>
#include <QStandardPaths>
#include <QThread>
#include <QUndoStack>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "Autosave.h"
#include "EngineWorker.h"
#include "JobsPanel.h"
#include "MainWindow.h"
#include "MotionPanel.h"
#include "QtTestSupport.h"
#include "RecoveryBar.h"
#include "SceneController.h"
#include "SceneSession.h"
#include "StrokeDocument.h"
#include "core/Runtime.h"
#include "dynamics/MotionStrokes.h"
#include "scene/Scene.h"

using namespace waft;

namespace {

QByteArray readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// Opens a scene in the window through its engine thread; true once the controller has it.
bool openScene(ui::MainWindow& window, const QString& path) {
    window.openPath(path);
    return QTest::qWaitFor([&] { return window.controller()->scene() != nullptr; }, 30000);
}

// Three kinds of undoable edit: a slider, another band's slider, strokes.
void edit(ui::MainWindow& window, int round) {
    window.motionPanel()->globalAmplitude()->setValue(120 + 10 * round);
    window.motionPanel()->bandSliders()[round % 2]->setValue(30 + 5 * round);
    window.strokeDocument()->addArrow({10.0f + round, 12.0f, 4.0f, -2.0f});
    window.strokeDocument()->addAnchor({40.0f, 30.0f + round, 0.0f});
}

// A compute job that runs until cancelled.
class LongJob : public engine::Job {
public:
    std::string name() const override { return "long"; }
    engine::JobLane lane() const override { return engine::JobLane::Compute; }
    engine::Status run(engine::Progress&, const engine::CancelToken& cancel) override {
        while (!cancel.isCancelled()) QThread::msleep(10);
        return engine::Status::cancelled();
    }
};

bool waitIdle(ui::Autosave* autosave, int atLeastSaves) {
    return QTest::qWaitFor([&] { return autosave->isIdle() && autosave->savesFinished() >= atLeastSaves; }, 30000);
}

// Opens the scene, makes one round of edits and waits for their autosave (a fast interval).
bool editedAndAutosaved(ui::MainWindow& window, const QString& scene, int round) {
    window.autosave()->setIntervalSec(0.1);
    if (!openScene(window, scene)) return false;
    edit(window, round);
    return waitIdle(window.autosave(), 1);
}

// Child mode: open the scene, edit, wait for the autosave, write what Save would write (the reference), then keep
// "editing" (a pull held in the viewport) until the parent kills this process.
int editThenWaitToBeKilled() {
    QStandardPaths::setTestModeEnabled(true);
    engine::initRuntime();
    const QString dir = qEnvironmentVariable("WAFT_AUTOSAVE_EXPECTED");
    ui::MainWindow window;
    window.autosave()->setIntervalSec(0.3);
    window.resize(800, 500);
    window.show();
    if (!openScene(window, qEnvironmentVariable("WAFT_AUTOSAVE_SCENE"))) return 3;
    for (int round = 0; round < 3; ++round) {
        edit(window, round);
        QTest::qWait(120);
    }
    if (!waitIdle(window.autosave(), 1)) return 4;
    if (!engine::saveScene((dir + "/expected.waft").toStdString(), *window.controller()->snapshot()).isOk()) return 5;
    std::ofstream(dir.toStdString() + "/expected-strokes.json") << engine::strokesToJson(window.strokes());
    window.controller()->press({20.0, 20.0});
    window.controller()->drag({30.0, 24.0});
    std::printf("READY\n");
    std::fflush(stdout);
    return QApplication::exec();
}

}  // namespace

class tst_Autosave : public QObject {
    Q_OBJECT
    std::string m_dir;
    QString m_scenePath;

    QString freshFolder(const char* name) {
        const QString folder = QString::fromStdString(m_dir) + "/" + name;
        QDir(folder).removeRecursively();
        qputenv("WAFT_AUTOSAVE_DIR", folder.toLocal8Bit());
        return folder;
    }

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        qputenv("WAFT_VIEWPORT", "cpu");
        engine::initRuntime();
        m_dir = test::tempDir("autosave");
        qputenv("WAFT_STATE_DIR", QByteArray::fromStdString(m_dir + "/state"));
        engine::Scene scene;
        scene.volume = test::sinusoidalVolume(96, 64, 3, 0.8f, 0, 2.0f);
        m_scenePath = QString::fromStdString(m_dir + "/scene.waft");
        QVERIFY(engine::saveScene(m_scenePath.toStdString(), scene).isOk());
    }

    // The acceptance: SIGKILL during editing, then the next start offers the autosave and restoring it gives
    // the same scene bytes (settings included) and the same strokes as saving would have.
    void killedWhileEditingIsRestored() {
        const QString folder = freshFolder("killed");
        const QString expected = QString::fromStdString(m_dir);
        QFile::remove(expected + "/expected.waft");
        QProcess child;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("WAFT_AUTOSAVE_CHILD", "1");
        env.insert("WAFT_AUTOSAVE_SCENE", m_scenePath);
        env.insert("WAFT_AUTOSAVE_EXPECTED", expected);
        child.setProcessEnvironment(env);
        child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        child.start(QCoreApplication::applicationFilePath(), {"-platform", "offscreen"});
        QVERIFY(child.waitForStarted(10000));
        QByteArray out;
        QVERIFY(QTest::qWaitFor(
            [&] {
                child.waitForReadyRead(100);
                out += child.readAllStandardOutput();
                return out.contains("READY") || child.state() == QProcess::NotRunning;
            },
            120000));
        QVERIFY2(out.contains("READY"), qPrintable("child ended with " + QString::number(child.exitCode())));
        child.kill();  // SIGKILL: no destructor, no close event
        QVERIFY(child.waitForFinished(10000));
        QCOMPARE(child.exitStatus(), QProcess::CrashExit);
        QVERIFY(QFile::exists(folder + "/session.json"));

        ui::MainWindow window;
        QVERIFY(!window.recoveryBar()->isHidden());
        QVERIFY2(window.recoveryBar()->text().contains("scene.waft"), qPrintable(window.recoveryBar()->text()));
        QVERIFY(window.recoveryBar()->restore() >= 0);
        QVERIFY(QTest::qWaitFor([&] { return window.controller()->scene() != nullptr; }, 30000));
        QTRY_VERIFY(window.recoveryBar()->isHidden());
        QCOMPARE(window.session()->scenePath(), m_scenePath);
        const QString restored = expected + "/restored.waft";
        QVERIFY(engine::saveScene(restored.toStdString(), *window.controller()->snapshot()).isOk());
        const QByteArray want = readAll(expected + "/expected.waft");
        QVERIFY(!want.isEmpty());
        QCOMPARE(readAll(restored), want);
        QCOMPARE(QByteArray::fromStdString(engine::strokesToJson(window.strokes())),
                 readAll(expected + "/expected-strokes.json"));
        QCOMPARE(window.strokeDocument()->arrows().size(), size_t(3));
        // Restored: saved at once as this session's autosave, and only then is the recovery forgotten.
        QTRY_VERIFY(!QDir(folder + "/recovery").exists());
        QVERIFY(QFile::exists(folder + "/session.json"));
    }

    // Saves follow edits, never closer together than the interval; the last one holds the final state.
    void savesAtMostEveryInterval() {
        freshFolder("interval");
        ui::MainWindow window;
        const double intervalSec = 0.8;
        window.autosave()->setIntervalSec(intervalSec);
        QVERIFY(window.autosave()->isActive());
        QElapsedTimer clock;
        clock.start();
        std::vector<double> queuedAtSec;
        connect(window.worker(), &ui::EngineWorker::jobQueued, this, [&](int, const QString& name, bool background) {
            if (name == "autosave" && background) queuedAtSec.push_back(clock.elapsed() / 1000.0);
        });
        QVERIFY(openScene(window, m_scenePath));
        QTest::qWait(int(1000 * (intervalSec + 1.0)));
        QVERIFY(queuedAtSec.empty());                     // opening a file is not an edit
        QTRY_COMPARE(window.jobsPanel()->rowCount(), 1);  // the open
        const double editsFromSec = clock.elapsed() / 1000.0;
        for (int round = 0; round < 12; ++round) {
            edit(window, round);
            QTest::qWait(200);
        }
        const double editsSec = clock.elapsed() / 1000.0 - editsFromSec;
        QVERIFY(waitIdle(window.autosave(), 1));
        // Never one per edit: at least the interval between two saves, so at most one per interval (and the one
        // after the last edit), however long the edits took on a busy machine.
        QVERIFY(queuedAtSec.size() >= 2);
        for (size_t i = 1; i < queuedAtSec.size(); ++i)
            QVERIFY2(queuedAtSec[i] - queuedAtSec[i - 1] >= intervalSec - 0.05,
                     qPrintable(QString("saves %1 s apart").arg(queuedAtSec[i] - queuedAtSec[i - 1])));
        QVERIFY(double(queuedAtSec.size()) <= editsSec / intervalSec + 2.0);
        const int saves = int(queuedAtSec.size());
        QCOMPARE(window.autosave()->savesFinished(), saves);
        const auto saved = engine::loadScene(
            (window.autosave()->folder() + "/scene-" + QString::number(saves) + ".waft").toStdString());
        QVERIFY(saved.hasValue());
        QCOMPARE(saved->settings.globalGain, window.controller()->settings().globalGain);
        QCOMPARE(saved->settings.bandGains, window.controller()->settings().bandGains);
        QCOMPARE(window.jobsPanel()->rowCount(), 1);  // a successful autosave leaves no row behind
        // Only the newest generation stays.
        QCOMPARE(QDir(window.autosave()->folder()).entryList({"scene-*.waft"}).size(), 1);
    }

    // An orderly end removes the autosave: nothing is offered next time.
    void cleanCloseLeavesNothingToRestore() {
        const QString folder = freshFolder("clean");
        {
            ui::MainWindow window;
            QVERIFY(editedAndAutosaved(window, m_scenePath, 0));
            QVERIFY(QFile::exists(folder + "/session.json"));
            window.close();
            QVERIFY(!QFile::exists(folder + "/session.json"));
        }
        ui::MainWindow next;
        QVERIFY(next.recoveryBar()->isHidden());
        QVERIFY(!next.autosave()->hasRecovery());
    }

    // Closing while jobs run (they are dropped, a save among them perhaps) keeps the autosave for the next start.
    void closeWhileBusyKeepsTheAutosave() {
        const QString folder = freshFolder("busy");
        {
            ui::MainWindow window;
            QVERIFY(editedAndAutosaved(window, m_scenePath, 2));
            window.worker()->enqueue(std::make_unique<LongJob>());
            QTRY_VERIFY(window.worker()->isBusy());
            window.close();
            QVERIFY(QFile::exists(folder + "/session.json"));
        }
        ui::MainWindow next;
        QVERIFY(!next.recoveryBar()->isHidden());
    }

    // A second window on the same folder (a second Waft) neither saves nor takes the first one's files.
    void secondInstanceStaysOut() {
        freshFolder("two");
        ui::MainWindow first;
        ui::MainWindow second;
        QVERIFY(first.autosave()->isActive());
        QVERIFY(!second.autosave()->isActive());
        QVERIFY(openScene(second, m_scenePath));
        edit(second, 0);
        QCOMPARE(second.autosave()->saveNow(), -1);
    }

    // A damaged autosave: a record that is not JSON is not offered; a bit-flipped scene is offered, and Restore
    // says why it cannot in one line while the open scene stays as it was.
    void damagedAutosaveKeepsTheScene() {
        const QString source = freshFolder("damaged-source");
        {
            ui::MainWindow window;
            QVERIFY(editedAndAutosaved(window, m_scenePath, 1));
            // Copy what a killed session would have left, before the orderly end removes it.
            const QString left = QString::fromStdString(m_dir) + "/damaged";
            QDir(left).removeRecursively();
            QDir().mkpath(left);
            for (const QString& name : QDir(source).entryList({"session.json", "scene-*.waft", "strokes-*.json"}))
                QVERIFY(QFile::copy(source + "/" + name, left + "/" + name));
        }
        const QString left = QString::fromStdString(m_dir) + "/damaged";
        const QString sceneFile = left + "/" + QDir(left).entryList({"scene-*.waft"}).first();
        {
            QFile file(sceneFile);
            QVERIFY(file.open(QIODevice::ReadWrite));
            file.seek(20);
            file.write("\xff\xff\xff\xff");  // inside the header's JSON
        }
        qputenv("WAFT_AUTOSAVE_DIR", left.toLocal8Bit());
        ui::MainWindow window;
        QVERIFY(!window.recoveryBar()->isHidden());
        QVERIFY(openScene(window, m_scenePath));
        const auto before = window.controller()->scene();
        QVERIFY(window.recoveryBar()->restore() >= 0);
        QTRY_VERIFY(window.recoveryBar()->text().startsWith("Cannot restore the autosaved scene: "));
        QVERIFY(!window.recoveryBar()->text().contains('\n'));
        QCOMPARE(window.controller()->scene(), before);
        QVERIFY(!window.recoveryBar()->isHidden());  // still offered: Discard is the user's call
        window.recoveryBar()->discard();
        QVERIFY(!window.autosave()->hasRecovery());

        // Hostile session records beside real generation files: nothing offered, nothing crashes; a record with
        // an absurd path and clip is offered with the path cut and no clip.
        const auto withRecord = [&](const char* name, const QByteArray& record) {
            const QString dir = freshFolder(name);
            QDir().mkpath(dir);
            QFile::copy(m_scenePath, dir + "/scene-1.waft");
            engine::MotionStrokes strokes;
            strokes.width = 96;
            strokes.height = 64;
            QFile s(dir + "/strokes-1.json"), r(dir + "/session.json");
            s.open(QIODevice::WriteOnly);
            s.write(QByteArray::fromStdString(engine::strokesToJson(strokes)));
            r.open(QIODevice::WriteOnly);
            r.write(record);
        };
        const QByteArray head = R"({"format": "waft-autosave", "version": 1, )";
        for (const auto& [name, record] : std::vector<std::pair<const char*, QByteArray>>{
                 {"junk-cut", head + R"("generation": )"},
                 {"junk-huge-generation", head + R"("generation": 1e12})"},
                 {"junk-negative", head + R"("generation": -3})"},
                 {"junk-fraction", head + R"("generation": 1.5})"},
                 {"junk-string", head + R"("generation": "1"})"},
                 {"junk-format", R"({"format": "waft-scene", "version": 1, "generation": 1})"},
                 {"junk-version", R"({"format": "waft-autosave", "version": 2, "generation": 1})"},
                 {"junk-deep", QByteArray(5000, '[') + QByteArray(5000, ']')},
                 {"junk-70k", head + R"("generation": 1, "path": ")" + QByteArray(70000, 'a') + R"("})"}}) {
            withRecord(name, record);
            ui::MainWindow other;
            QVERIFY2(other.recoveryBar()->isHidden(), name);
        }
        withRecord("odd-fields", head + R"("generation": 1, "path": ")" + QByteArray(20000, 'p') +
                                     R"(", "clip_in": 5, "clip_out": 2, "saved_unix": -1e300})");
        ui::MainWindow odd;
        QVERIFY(!odd.recoveryBar()->isHidden());
        const auto recovery = odd.autosave()->recovery();
        QVERIFY(recovery.hasValue());
        QCOMPARE(recovery->originalPath.size(), 4096);
        QCOMPARE(recovery->clip.first, -1.0);
    }

    // Help > About and --version: the version and the git revision it was built from.
    void aboutNamesTheRevision() {
        const QString about = ui::MainWindow::aboutText();
        QVERIFY2(about.startsWith("Waft 0."), qPrintable(about));
        QVERIFY(about.contains("(git "));
    }
};

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    app.setAttribute(Qt::AA_Use96Dpi, true);
    if (qEnvironmentVariableIsSet("WAFT_AUTOSAVE_CHILD")) return editThenWaitToBeKilled();
    tst_Autosave tc;
    QTEST_SET_MAIN_SOURCE_PATH
    const int rc = QTest::qExec(&tc, argc, argv);
    return rc == 0 && waft::test::skipsNoted() > 0 ? waft::test::kSkipExitCode : rc;
}

#include "tst_Autosave.moc"
