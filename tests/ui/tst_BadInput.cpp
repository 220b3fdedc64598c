// Bad input through the real window: each row opens, saves or exports something hostile while a good scene is
// open, and checks what the user gets and keeps: the job fails with one line, the open scene (and its path)
// is the same object as before, the file already at the output path keeps its bytes, and no temporary file is
// left beside it. The rows are docs/RELIABILITY.md's app table (printed as markdown at the end).
#include <sys/resource.h>

#include <QApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QStandardPaths>
#include <csignal>
#include <functional>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "EngineWorker.h"
#include "MainWindow.h"
#include "QtTestSupport.h"
#include "SceneController.h"
#include "SceneSession.h"
#include "StrokeDocument.h"
#include "core/Runtime.h"
#include "scene/Scene.h"

using namespace waft;

namespace {

QByteArray digest(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? QCryptographicHash::hash(file.readAll(), QCryptographicHash::Sha256)
                                          : QByteArray("absent");
}

void writeBytes(const QString& path, const QByteArray& bytes) {
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(bytes);
}

// While alive, files this process writes are limited to `bytes` (RLIMIT_FSIZE: write() fails with EFBIG as on a
// full disk, SIGXFSZ ignored).
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes) {
        getrlimit(RLIMIT_FSIZE, &m_old);
        m_handler = std::signal(SIGXFSZ, SIG_IGN);
        const rlimit limit{bytes, m_old.rlim_max};
        setrlimit(RLIMIT_FSIZE, &limit);
    }
    ~FileSizeLimit() {
        setrlimit(RLIMIT_FSIZE, &m_old);
        std::signal(SIGXFSZ, m_handler);
    }

private:
    rlimit m_old{};
    void (*m_handler)(int) = nullptr;
};

}  // namespace

class tst_BadInput : public QObject {
    Q_OBJECT
    QString m_dir;
    QString m_good;
    QStringList m_rows;

    // Runs one hostile action with the good scene open and checks the user keeps everything.
    void row(const QString& what, const QString& needle, const std::function<int(ui::MainWindow&)>& act,
             const QString& keep = {}, rlim_t fileSizeLimit = 0) {
        ui::MainWindow window;
        window.resize(800, 500);
        window.show();
        window.openPath(m_good);
        QVERIFY(QTest::qWaitFor([&] { return window.controller()->scene() != nullptr; }, 30000));
        const auto scene = window.controller()->scene();
        const QString path = window.session()->scenePath();
        const auto settings = window.controller()->settings();
        if (!keep.isEmpty() && !QFile::exists(keep)) writeBytes(keep, "an earlier file the user keeps");
        const QByteArray kept = keep.isEmpty() ? QByteArray() : digest(keep);
        const QStringList before = QDir(m_dir).entryList(QDir::Files);
        QSignalSpy finished(window.worker(), &ui::EngineWorker::jobFinished);
        int id = -1;
        {
            std::unique_ptr<FileSizeLimit> limit;
            if (fileSizeLimit) limit = std::make_unique<FileSizeLimit>(fileSizeLimit);
            id = act(window);
            QVERIFY2(id >= 0, qPrintable(what));
            QVERIFY(QTest::qWaitFor(
                [&] {
                    for (const auto& args : finished)
                        if (args.at(0).toInt() == id) return true;
                    return false;
                },
                60000));
        }
        QString message;
        bool ok = true;
        for (const auto& args : finished)
            if (args.at(0).toInt() == id) ok = args.at(1).toBool(), message = args.at(2).toString();
        QTest::qWait(50);  // a scene job's result would arrive queued after its finish
        QVERIFY2(!ok, qPrintable(what + ": succeeded"));
        QVERIFY2(!message.contains('\n') && !message.isEmpty(), qPrintable(what + ": " + message));
        QVERIFY2(message.contains(needle), qPrintable(what + ": '" + message + "' lacks '" + needle + "'"));
        QCOMPARE(window.controller()->scene(), scene);
        QCOMPARE(window.session()->scenePath(), path);
        QCOMPARE(window.controller()->settings().globalGain, settings.globalGain);
        if (!keep.isEmpty()) QVERIFY2(digest(keep) == kept, qPrintable(what + ": the earlier file changed"));
        for (const QString& name : QDir(m_dir).entryList(QDir::Files))
            QVERIFY2(before.contains(name) || !name.contains(".tmp"), qPrintable(what + ": left " + name));
        QString shown = message;
        shown.replace(m_dir + "/", "");
        m_rows << QString("| %1 | %2 |").arg(what, shown.replace('|', "\\|"));
    }

    QString file(const QString& name) const { return m_dir + "/" + name; }

private slots:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        qputenv("WAFT_VIEWPORT", "cpu");
        engine::initRuntime();
        m_dir = QString::fromStdString(test::tempDir("bad-input"));
        qputenv("WAFT_STATE_DIR", (m_dir + "/state").toLocal8Bit());
        qputenv("WAFT_AUTOSAVE_DIR", (m_dir + "/autosave").toLocal8Bit());
        engine::Scene scene;
        scene.volume = test::sinusoidalVolume(96, 64, 3, 0.8f, 0, 2.0f);
        m_good = file("good scène.waft");
        QVERIFY(engine::saveScene(m_good.toStdString(), scene).isOk());
    }

    void openingBadFiles() {
        const QByteArray good = [&] {
            QFile f(m_good);
            f.open(QIODevice::ReadOnly);
            return f.readAll();
        }();
        writeBytes(file("truncated.waft"), good.left(good.size() * 6 / 10));
        row("open a scene cut at 60%", "truncated",
            [&](ui::MainWindow& w) { return w.openPath(file("truncated.waft")); });
        QByteArray flipped = good;
        flipped[20] = char(0xff);
        writeBytes(file("flipped.waft"), flipped);
        row("open a scene with a header byte flipped", "JSON",
            [&](ui::MainWindow& w) { return w.openPath(file("flipped.waft")); });
        row("open a missing file", "no such file", [&](ui::MainWindow& w) { return w.openPath(file("absent.png")); });
        writeBytes(file("zero.png"), "");
        row("open a 0-byte image", "not an image", [&](ui::MainWindow& w) { return w.openPath(file("zero.png")); });
        writeBytes(file("text.avi"), QByteArray("not a video\n").repeated(100));
        row("open a text file named .avi", "not a video",
            [&](ui::MainWindow& w) { return w.openPath(file("text.avi")); });
        {
            cv::VideoWriter one(file("one-frame.avi").toStdString(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 10,
                                cv::Size(64, 48));
            QVERIFY(one.isOpened());
            one.write(cv::Mat(48, 64, CV_8UC3, cv::Scalar(0, 128, 0)));
        }
        row("open a video of one frame", "at least",
            [&](ui::MainWindow& w) { return w.openPath(file("one-frame.avi")); });
    }

    void savingAndExportingWhereItCannot() {
        row("save the scene into a folder that does not exist", "",
            [&](ui::MainWindow& w) { return w.saveSceneTo("/proc/waft/scene.waft"); });
        row("save the scene where nobody may write (/proc, even as root)", "",
            [&](ui::MainWindow& w) { return w.saveSceneTo("/proc/scene.waft"); });
        row(
            "save over an earlier scene on a full disk (16 KB file size limit)", "File too large",
            [&](ui::MainWindow& w) { return w.saveSceneTo(file("earlier.waft")); }, file("earlier.waft"), 16384);
        engine::AnimateParams params;
        params.seconds = 2.0f;
        params.fps = 10.0f;
        row("export into a folder that does not exist", "does not exist",
            [&](ui::MainWindow& w) { return w.exportTo("/proc/waft/loop.mp4", params); });
        row(
            "export over an earlier MP4 on a full disk (16 KB file size limit)", "File too large",
            [&](ui::MainWindow& w) { return w.exportTo(file("earlier.mp4"), params); }, file("earlier.mp4"), 16384);
        row(
            "export a GIF on a full disk (16 KB file size limit)", "File too large",
            [&](ui::MainWindow& w) { return w.exportTo(file("earlier.gif"), params); }, file("earlier.gif"), 16384);
        row(
            "export with a scene given as the neural renderer's model", "not a Waft model",
            [&](ui::MainWindow& w) { return w.exportTo(file("neural.mp4"), params, m_good); }, file("neural.mp4"));
        row(
            "export with a renderer model that does not exist", "",
            [&](ui::MainWindow& w) { return w.exportTo(file("neural.mp4"), params, file("absent.safetensors")); },
            file("neural.mp4"));
    }

    void strokesThatAreNotStrokes() {
        ui::MainWindow window;
        window.openPath(m_good);
        QVERIFY(QTest::qWaitFor([&] { return window.controller()->scene() != nullptr; }, 30000));
        window.strokeDocument()->addArrow({10, 10, 5, 0});
        writeBytes(file("strokes.json"), "{arrows");
        QVERIFY(!window.loadStrokes(file("strokes.json")));
        QCOMPARE(window.strokeDocument()->arrows().size(), size_t(1));
        m_rows << "| load a stroke file that is not JSON | (status bar) strokes unchanged |";
    }

    void cleanupTestCase() {
        qInfo("| what | the one line |");
        qInfo("|---|---|");
        for (const QString& r : m_rows) qInfo("%s", qPrintable(r));
    }
};

WAFT_TEST_MAIN_WITH(tst_BadInput, QApplication)
#include "tst_BadInput.moc"
