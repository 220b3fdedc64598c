#include "Theme.h"

#include <QApplication>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QSettings>
#include <QStandardPaths>
#include <QStyle>
#include <QStyleFactory>

namespace waft::ui {

namespace {

QString gsetting(const QString& gsettings, const QString& key) {
    QProcess process;
    process.start(gsettings, {"get", "org.gnome.desktop.interface", key});
    // A desktop without a session bus answers at once with an error; a hung one must not hold the start.
    if (!process.waitForFinished(600)) {
        process.kill();
        process.waitForFinished(100);
        return {};
    }
    return process.exitCode() == 0 ? QString::fromUtf8(process.readAllStandardOutput()).trimmed() : QString();
}

QColor platformPalette() {
    static const QColor initial = QGuiApplication::palette().color(QPalette::Window);  // before Waft's own
    return initial;
}

}  // namespace

DesktopHints desktopHints() {
    DesktopHints hints;
    hints.platformWindow = platformPalette();
    hints.gtkThemeEnv = qEnvironmentVariable("GTK_THEME");
    const QString gsettings = QStandardPaths::findExecutable("gsettings");
    if (!gsettings.isEmpty() && qEnvironmentVariableIsSet("DBUS_SESSION_BUS_ADDRESS")) {
        hints.gnomeColorScheme = gsetting(gsettings, "color-scheme");
        if (!hints.gnomeColorScheme.contains("prefer-"))  // the scheme decides; the theme name only without one
            hints.gnomeGtkTheme = gsetting(gsettings, "gtk-theme");
    }
    const QString kde =
        QDir(QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation)).filePath("kdeglobals");
    if (QFile::exists(kde)) {
        QSettings globals(kde, QSettings::IniFormat);
        const QVariant v = globals.value("Colors:Window/BackgroundNormal");
        hints.kdeWindowBackground = v.toStringList().join(',');
        if (hints.kdeWindowBackground.isEmpty()) hints.kdeWindowBackground = v.toString();
    }
    return hints;
}

bool prefersDark(const DesktopHints& hints) {
    // The most specific hint first: an explicit GTK_THEME, then GNOME's scheme, its theme name, KDE's colours, and
    // last what the platform theme already gave Qt.
    if (!hints.gtkThemeEnv.isEmpty()) return hints.gtkThemeEnv.contains("dark", Qt::CaseInsensitive);
    if (hints.gnomeColorScheme.contains("prefer-dark")) return true;
    if (hints.gnomeColorScheme.contains("prefer-light")) return false;
    if (hints.gnomeGtkTheme.contains("dark", Qt::CaseInsensitive)) return true;
    if (const QStringList rgb = hints.kdeWindowBackground.split(','); rgb.size() == 3) {
        const QColor c(rgb[0].trimmed().toInt(), rgb[1].trimmed().toInt(), rgb[2].trimmed().toInt());
        return c.lightness() < 128;
    }
    return hints.platformWindow.isValid() && hints.platformWindow.lightness() < 128;
}

QPalette themePalette(bool dark) {
    QStyle* fusion = QStyleFactory::create("Fusion");
    const QPalette standard = fusion ? fusion->standardPalette() : QPalette();
    delete fusion;
    // Every colour set explicitly: a palette with unset roles is resolved against the one in use (a dark one
    // would stay dark).
    QPalette p;
    for (int g = 0; g < QPalette::NColorGroups; ++g)
        for (int r = 0; r < QPalette::NColorRoles; ++r) {
            const auto group = QPalette::ColorGroup(g);
            const auto role = QPalette::ColorRole(r);
            if (role != QPalette::NoRole) p.setColor(group, role, standard.color(group, role));
        }
    if (!dark) return p;
    const QColor window(45, 45, 48), base(30, 30, 33), text(230, 230, 230), disabled(128, 128, 128);
    const QColor highlight(64, 132, 214);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, window);
    p.setColor(QPalette::ToolTipBase, QColor(60, 60, 64));
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::PlaceholderText, disabled);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, QColor(255, 90, 90));
    p.setColor(QPalette::Light, QColor(70, 70, 74));
    p.setColor(QPalette::Midlight, QColor(58, 58, 62));
    p.setColor(QPalette::Mid, QColor(38, 38, 41));
    p.setColor(QPalette::Dark, QColor(25, 25, 27));
    p.setColor(QPalette::Shadow, QColor(10, 10, 10));
    p.setColor(QPalette::Highlight, highlight);
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(110, 170, 240));
    p.setColor(QPalette::LinkVisited, QColor(170, 140, 230));
    for (QPalette::ColorRole role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        p.setColor(QPalette::Disabled, role, disabled);
    p.setColor(QPalette::Disabled, QPalette::Highlight, QColor(80, 80, 80));
    return p;
}

ThemeChoice savedTheme() {
    const QString v = QSettings().value("view/theme", "desktop").toString();
    return v == "dark" ? ThemeChoice::Dark : v == "light" ? ThemeChoice::Light : ThemeChoice::FollowDesktop;
}

void saveTheme(ThemeChoice choice) {
    QSettings().setValue("view/theme", choice == ThemeChoice::Dark    ? "dark"
                                       : choice == ThemeChoice::Light ? "light"
                                                                      : "desktop");
}

bool applyTheme(ThemeChoice choice) {
    platformPalette();  // remember the platform's before the first change
    const bool dark =
        choice == ThemeChoice::Dark || (choice == ThemeChoice::FollowDesktop && prefersDark(desktopHints()));
    // Fusion draws from the palette in both schemes (a platform style may ignore it and stay light).
    if (QApplication::style()->name().compare("fusion", Qt::CaseInsensitive) != 0) QApplication::setStyle("Fusion");
    QApplication::setPalette(themePalette(dark));
    return dark;
}

}  // namespace waft::ui
