#pragma once

#include <QDialog>
#include <QString>

#include "ml/prior/PredictJob.h"

class QLineEdit;
class QSpinBox;
class QCheckBox;

namespace waft::ui {

// The motion model "Predict motion" uses: a denoiser (train-prior) and its VAE (train-vae), both safetensors
// files the user trained or was given, plus sampling settings. Kept in QSettings under model/.
struct MotionModelSettings {
    QString priorPath;
    QString vaePath;
    engine::prior::PredictParams predict;

    static MotionModelSettings load();
    void save() const;
    // Both files set and present (their contents are checked by the prediction job).
    bool configured() const;
};

class MotionModelDialog : public QDialog {
    Q_OBJECT
public:
    explicit MotionModelDialog(const MotionModelSettings& settings, QWidget* parent = nullptr);
    MotionModelSettings settings() const;

private:
    QLineEdit* m_prior;
    QLineEdit* m_vae;
    QSpinBox* m_steps;
    QSpinBox* m_seed;
    QCheckBox* m_loop;
};

}  // namespace waft::ui
