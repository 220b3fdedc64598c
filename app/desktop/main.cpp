// waft: the desktop studio. Opens the file given on the command line, else the bundled sample.
#include <QApplication>
#include <QCommandLineParser>

#include "MainWindow.h"
#include "Theme.h"
#include "core/Runtime.h"
#include "core/Version.h"

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName("Waft");
    QApplication::setApplicationName("Waft");
    QApplication::setApplicationVersion(
        QString("%1 (git %2)").arg(waft::engine::version(), waft::engine::gitRevision()));
    QCommandLineParser parser;
    parser.setApplicationDescription("Waft: interactive image dynamics");
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument("file", "A scene (.waft), a video or a photo to open");
    parser.process(app);
    waft::engine::initRuntime();
    waft::ui::applyTheme(waft::ui::savedTheme());  // dark or light as the desktop is, unless View > Theme says

    waft::ui::MainWindow window;
    window.show();
    if (!parser.positionalArguments().isEmpty())
        window.openPath(parser.positionalArguments().first());
    else
        window.openSample();
    return app.exec();
}
