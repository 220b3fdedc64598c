#pragma once

#include <QColor>
#include <QPalette>
#include <QString>

namespace waft::ui {

enum class ThemeChoice { FollowDesktop, Light, Dark };

// What the desktop says about light and dark, gathered once (Qt 6.4 has no colour-scheme API): GTK_THEME, GNOME's
// color-scheme and gtk-theme (gsettings, when installed), KDE's window background (kdeglobals), and the palette the
// platform theme gave Qt.
struct DesktopHints {
    QString gtkThemeEnv;          // "Adwaita:dark"
    QString gnomeColorScheme;     // "'prefer-dark'", "'default'"
    QString gnomeGtkTheme;        // "'Adwaita-dark'"
    QString kdeWindowBackground;  // "35,38,41"
    QColor platformWindow;        // QGuiApplication's palette before Waft sets one
};

DesktopHints desktopHints();
bool prefersDark(const DesktopHints& hints);

// The palettes Waft uses with the Fusion style: a dark one and the style's own light one. The text and window
// colours of each are far apart (a test checks the contrast).
QPalette themePalette(bool dark);

// View ▸ Theme: the choice is kept in QSettings ("view/theme"); FollowDesktop reads desktopHints() each time it is
// applied (at start and when the platform says the theme changed). Returns whether the applied palette is dark.
ThemeChoice savedTheme();
void saveTheme(ThemeChoice choice);
bool applyTheme(ThemeChoice choice);

}  // namespace waft::ui
