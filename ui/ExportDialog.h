#pragma once

#include <QDialog>
#include <QSize>

#include "jobs/SceneAnimator.h"

class QLineEdit;
class QComboBox;
class QDoubleSpinBox;
class QSpinBox;
class QCheckBox;
class QLabel;

namespace waft::ui {

// Export settings: file and format (MP4 H.264/H.265, WebM VP9, animated WebP, APNG, GIF, or a folder of PNG
// frames; the format follows the extension and vice versa), quality preset, duration (0 = the loop length),
// fps, width (0 = the scene's; height follows), seamless loop on/off, and the estimated file size for the
// current settings (engine::estimateExportBytes), and the renderer: fast (pixel splatting, what the viewport shows)
// or neural (GID's learned renderer from a file waft-cli train-renderer wrote; the path is remembered). GUI thread.
class ExportDialog : public QDialog {
    Q_OBJECT
public:
    // sceneSize and loopSec (the scene's default loop length) feed the size estimate.
    ExportDialog(const QString& suggestedPath, QSize sceneSize, double loopSec, QWidget* parent = nullptr);
    QString path() const;
    engine::AnimateParams params() const;
    QString estimateText() const;
    // The neural renderer's file when "Neural" is chosen, else empty (the fast renderer).
    QString rendererModel() const;

private:
    void updateEstimate();

    QSize m_sceneSize;
    double m_loopSec;
    QLineEdit* m_path;
    QComboBox* m_format;
    QComboBox* m_quality;
    QDoubleSpinBox* m_seconds;
    QDoubleSpinBox* m_fps;
    QSpinBox* m_width;
    QCheckBox* m_loop;
    QComboBox* m_renderer;
    QLineEdit* m_rendererModel;
    QLabel* m_estimate;
};

}  // namespace waft::ui
