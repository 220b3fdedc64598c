#pragma once

#include <QDialog>

#include "SceneAnimator.h"

class QLineEdit;
class QComboBox;
class QDoubleSpinBox;
class QSpinBox;
class QCheckBox;

namespace waft::ui {

// Export settings: file (format from its extension: MP4, WebM, GIF, or a folder for PNG frames), duration
// (0 = the loop length), fps, width (0 = the scene's; height follows), seamless loop on/off.
class ExportDialog : public QDialog {
    Q_OBJECT
public:
    ExportDialog(const QString& suggestedPath, QWidget* parent = nullptr);
    QString path() const;
    engine::AnimateParams params() const;

private:
    QLineEdit* m_path;
    QComboBox* m_format;
    QDoubleSpinBox* m_seconds;
    QDoubleSpinBox* m_fps;
    QSpinBox* m_width;
    QCheckBox* m_loop;
};

}  // namespace waft::ui
