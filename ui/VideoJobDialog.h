#pragma once

#include <QDialog>
#include <QString>

#include "ml/tune/TuneParams.h"

class QLineEdit;
class QSpinBox;
class QDoubleSpinBox;
class QCheckBox;
class QGroupBox;

namespace waft::ui {

enum class VideoJobKind { Transfer, Edit };

// What Video ▸ Transfer Motion… and Video ▸ Edit with Text… ask for: the base SD 1.x model (a diffusers folder or a
// .safetensors file), what the clip shows and the new prompt, the result's file, tuning steps, learning rate,
// frames, work size, guidance, seed, and the method's own settings (SMA on or off and its weights; SAVE's λ and
// full W^Q tuning). Kept in QSettings under transfer/ or edit/; the clip comes from the timeline's in/out.
struct VideoJobSettings {
    VideoJobKind kind = VideoJobKind::Transfer;
    QString model;
    QString sourcePrompt;
    QString targetPrompt;
    QString output;
    int steps = 500;
    double learningRate = 3e-5;
    int frames = 8;
    int workSize = 512;  // the long side the model works at (SD 1.5: 512)
    double guidance = 12.5;
    int seed = 0;
    // Motion transfer
    bool sma = true;
    double lambdaGlobal = 0.4, lambdaLocal = 0.2;
    // Editing
    double lambda = 1e-3;
    bool fullTune = false;

    static VideoJobSettings defaults(VideoJobKind kind);  // each method's published settings
    static VideoJobSettings load(VideoJobKind kind);
    void save() const;
    // The engine's parameters for the clip [inSec, outSec] of `video`, and the job.
    engine::tune::TuneParams params(const QString& video, double inSec, double outSec) const;
    std::unique_ptr<engine::Job> makeJob(const QString& video, double inSec, double outSec) const;
};

class VideoJobDialog : public QDialog {
    Q_OBJECT
public:
    VideoJobDialog(const VideoJobSettings& settings, const QString& clipText, QWidget* parent = nullptr);
    VideoJobSettings settings() const;

private:
    VideoJobKind m_kind;
    QLineEdit* m_model;
    QLineEdit* m_source;
    QLineEdit* m_target;
    QLineEdit* m_output;
    QSpinBox* m_steps;
    QDoubleSpinBox* m_learningRate;
    QSpinBox* m_frames;
    QSpinBox* m_workSize;
    QDoubleSpinBox* m_guidance;
    QSpinBox* m_seed;
    QGroupBox* m_sma = nullptr;
    QDoubleSpinBox* m_global = nullptr;
    QDoubleSpinBox* m_local = nullptr;
    QDoubleSpinBox* m_lambda = nullptr;
    QCheckBox* m_fullTune = nullptr;
};

}  // namespace waft::ui
