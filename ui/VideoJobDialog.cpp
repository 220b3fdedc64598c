#include "VideoJobDialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <algorithm>

namespace waft::ui {

namespace {

QString prefix(VideoJobKind kind) { return kind == VideoJobKind::Transfer ? "transfer/" : "edit/"; }

}  // namespace

VideoJobSettings VideoJobSettings::defaults(VideoJobKind kind) {
    VideoJobSettings v;
    v.kind = kind;
    if (kind == VideoJobKind::Edit) {  // SAVE's: 1e-3, guidance 10; ~300 steps
        v.steps = 300;
        v.learningRate = 1e-3;
        v.guidance = 10.0;
    }
    v.output = QDir::home().filePath(kind == VideoJobKind::Transfer ? "waft-transfer.mp4" : "waft-edit.mp4");
    return v;
}

VideoJobSettings VideoJobSettings::load(VideoJobKind kind) {
    QSettings s;
    const QString p = prefix(kind);
    VideoJobSettings v = defaults(kind);
    v.model = s.value(p + "model").toString();
    v.sourcePrompt = s.value(p + "source").toString();
    v.targetPrompt = s.value(p + "target").toString();
    v.output = s.value(p + "output", v.output).toString();
    v.steps = std::clamp(s.value(p + "steps", v.steps).toInt(), 0, 100000);
    v.learningRate = std::clamp(s.value(p + "learning_rate", v.learningRate).toDouble(), 1e-8, 1.0);
    v.frames = std::clamp(s.value(p + "frames", v.frames).toInt(), 2, 32);
    v.workSize = std::clamp(s.value(p + "work_size", v.workSize).toInt(), 8, 2048);
    v.guidance = std::clamp(s.value(p + "guidance", v.guidance).toDouble(), 0.0, 50.0);
    v.seed = std::clamp(s.value(p + "seed", 0).toInt(), 0, 1 << 30);
    v.sma = s.value(p + "sma", true).toBool();
    v.lambdaGlobal = std::clamp(s.value(p + "lambda_global", v.lambdaGlobal).toDouble(), 0.0, 100.0);
    v.lambdaLocal = std::clamp(s.value(p + "lambda_local", v.lambdaLocal).toDouble(), 0.0, 100.0);
    v.lambda = std::clamp(s.value(p + "lambda", v.lambda).toDouble(), 0.0, 100.0);
    v.fullTune = s.value(p + "full_tune", false).toBool();
    return v;
}

void VideoJobSettings::save() const {
    QSettings s;
    const QString p = prefix(kind);
    s.setValue(p + "model", model);
    s.setValue(p + "source", sourcePrompt);
    s.setValue(p + "target", targetPrompt);
    s.setValue(p + "output", output);
    s.setValue(p + "steps", steps);
    s.setValue(p + "learning_rate", learningRate);
    s.setValue(p + "frames", frames);
    s.setValue(p + "work_size", workSize);
    s.setValue(p + "guidance", guidance);
    s.setValue(p + "seed", seed);
    if (kind == VideoJobKind::Transfer) {
        s.setValue(p + "sma", sma);
        s.setValue(p + "lambda_global", lambdaGlobal);
        s.setValue(p + "lambda_local", lambdaLocal);
    } else {
        s.setValue(p + "lambda", lambda);
        s.setValue(p + "full_tune", fullTune);
    }
}

engine::tune::TuneParams VideoJobSettings::params(const QString& video, double inSec, double outSec) const {
    engine::tune::TuneParams p;
    p.model = model.toStdString();
    p.clip.video = video.toStdString();
    p.clip.startSeconds = inSec;
    p.clip.endSeconds = outSec;
    p.clip.frames = frames;
    p.clip.maxLongSide = workSize;
    p.sourcePrompt = sourcePrompt.toStdString();
    p.targetPrompt = targetPrompt.toStdString();
    p.output = output.toStdString();
    p.steps = steps;
    p.learningRate = float(learningRate);
    p.guidance = float(guidance);
    p.seed = unsigned(seed);
    return p;
}

std::unique_ptr<engine::Job> VideoJobSettings::makeJob(const QString& video, double inSec, double outSec) const {
    if (kind == VideoJobKind::Transfer) {
        engine::tune::MotionTransferOptions o;
        o.lambdaGlobal = sma ? float(lambdaGlobal) : 0.0f;
        o.lambdaLocal = sma ? float(lambdaLocal) : 0.0f;
        return engine::tune::makeMotionTransferJob(params(video, inSec, outSec), o);
    }
    engine::tune::EditOptions o;
    o.lambda = float(lambda);
    o.fullTune = fullTune;
    return engine::tune::makeEditJob(params(video, inSec, outSec), o);
}

VideoJobDialog::VideoJobDialog(const VideoJobSettings& settings, const QString& clipText, QWidget* parent)
    : QDialog(parent), m_kind(settings.kind) {
    const bool transfer = m_kind == VideoJobKind::Transfer;
    setWindowTitle(transfer ? tr("Transfer motion") : tr("Edit with text"));
    auto* form = new QFormLayout(this);
    form->addRow(new QLabel(clipText, this));
    const auto pathRow = [this](QLineEdit*& edit, const QString& value, bool save) {
        edit = new QLineEdit(value, this);
        auto* browse = new QPushButton(tr("Browse…"), this);
        auto* row = new QHBoxLayout();
        row->addWidget(edit, 1);
        row->addWidget(browse);
        connect(browse, &QPushButton::clicked, this, [this, edit, save] {
            const QString file =
                save ? QFileDialog::getSaveFileName(this, tr("Result"), edit->text(), tr("Video (*.mp4)"))
                     : QFileDialog::getOpenFileName(this, tr("Stable Diffusion 1.x model"), edit->text(),
                                                    tr("Model (*.safetensors model_index.json)"));
            if (file.isEmpty()) return;
            // A diffusers folder is chosen by its model_index.json.
            edit->setText(file.endsWith("model_index.json") ? QFileInfo(file).absolutePath() : file);
        });
        return row;
    };
    form->addRow(tr("SD 1.x model"), pathRow(m_model, settings.model, false));
    m_model->setPlaceholderText(tr("a diffusers folder or a .safetensors checkpoint"));
    m_source = new QLineEdit(settings.sourcePrompt, this);
    m_target = new QLineEdit(settings.targetPrompt, this);
    m_source->setPlaceholderText(transfer ? tr("what the clip shows: \"a seagull walking on the beach\"")
                                          : tr("what the clip shows: \"a rabbit eating a watermelon\""));
    m_target->setPlaceholderText(transfer ? tr("what should move instead: \"a chicken walking on the beach\"")
                                          : tr("the edit: \"a tiger eating a watermelon\", \"…, comic style\""));
    form->addRow(tr("The clip shows"), m_source);
    form->addRow(transfer ? tr("New prompt") : tr("Edit prompt"), m_target);
    form->addRow(tr("Result"), pathRow(m_output, settings.output, true));
    m_steps = new QSpinBox(this);
    m_steps->setRange(0, 100000);
    m_steps->setValue(settings.steps);
    m_steps->setToolTip(transfer ? tr("Tuning steps (Tune-A-Video: 500); 0 edits with the base model alone")
                                 : tr("Tuning steps (SAVE: ~300, about 3 minutes on one GPU at 512 × 512)"));
    m_learningRate = new QDoubleSpinBox(this);
    m_learningRate->setDecimals(6);
    m_learningRate->setRange(1e-6, 1.0);
    m_learningRate->setSingleStep(1e-5);
    m_learningRate->setValue(settings.learningRate);
    m_learningRate->setToolTip(transfer ? tr("AdamW (Tune-A-Video: 3e-5)") : tr("AdamW on the shifts (SAVE: 1e-3)"));
    m_frames = new QSpinBox(this);
    m_frames->setRange(2, 32);
    m_frames->setValue(settings.frames);
    m_frames->setToolTip(tr("Frames spread over the selected clip"));
    m_workSize = new QSpinBox(this);
    m_workSize->setRange(8, 2048);
    m_workSize->setValue(settings.workSize);
    m_workSize->setSuffix(tr(" px"));
    m_workSize->setToolTip(
        tr("The long side the model works at (SD 1.5 was trained at 512); the result is "
           "resized back to the clip's size"));
    m_guidance = new QDoubleSpinBox(this);
    m_guidance->setRange(0.0, 50.0);
    m_guidance->setValue(settings.guidance);
    m_guidance->setToolTip(transfer ? tr("Classifier-free guidance (Tune-A-Video: 12.5)")
                                    : tr("Classifier-free guidance (SAVE: 10; 25 for several attributes)"));
    m_seed = new QSpinBox(this);
    m_seed->setRange(0, 1 << 30);
    m_seed->setValue(settings.seed);
    form->addRow(tr("Tuning steps"), m_steps);
    form->addRow(tr("Learning rate"), m_learningRate);
    form->addRow(tr("Frames"), m_frames);
    form->addRow(tr("Work size"), m_workSize);
    form->addRow(tr("Guidance"), m_guidance);
    form->addRow(tr("Seed"), m_seed);
    const auto weight = [this](double value, const QString& tip) {
        auto* box = new QDoubleSpinBox(this);
        box->setRange(0.0, 100.0);
        box->setDecimals(4);
        box->setSingleStep(0.05);
        box->setValue(value);
        box->setToolTip(tip);
        return box;
    };
    if (transfer) {
        m_sma = new QGroupBox(tr("Spectral Motion Alignment"), this);
        m_sma->setCheckable(true);
        m_sma->setChecked(settings.sma);
        m_sma->setToolTip(tr("Align the motion's wavelet (global) and Fourier (local) spectra while tuning"));
        auto* smaForm = new QFormLayout(m_sma);
        m_global = weight(settings.lambdaGlobal, tr("λ global: Haar wavelets of the motion along time (default 0.4)"));
        m_local = weight(settings.lambdaLocal, tr("λ local: each frame's motion spectrum (default 0.2)"));
        smaForm->addRow(tr("λ global"), m_global);
        smaForm->addRow(tr("λ local"), m_local);
        form->addRow(m_sma);
    } else {
        m_lambda =
            weight(settings.lambda, tr("λ of the regulariser δᵀΣδ (1e-3; 5e-2 for edits of several attributes)"));
        m_lambda->setSingleStep(1e-3);
        form->addRow(tr("Regulariser λ"), m_lambda);
        m_fullTune = new QCheckBox(tr("Tune the full query weights instead (Tune-A-Video style, slower)"), this);
        m_fullTune->setChecked(settings.fullTune);
        form->addRow(QString(), m_fullTune);
    }
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(transfer ? tr("Transfer") : tr("Edit"));
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

VideoJobSettings VideoJobDialog::settings() const {
    VideoJobSettings v = VideoJobSettings::load(m_kind);
    v.model = m_model->text().trimmed();
    v.sourcePrompt = m_source->text().trimmed();
    v.targetPrompt = m_target->text().trimmed();
    v.output = m_output->text().trimmed();
    v.steps = m_steps->value();
    v.learningRate = m_learningRate->value();
    v.frames = m_frames->value();
    v.workSize = m_workSize->value();
    v.guidance = m_guidance->value();
    v.seed = m_seed->value();
    if (m_sma) {
        v.sma = m_sma->isChecked();
        v.lambdaGlobal = m_global->value();
        v.lambdaLocal = m_local->value();
    }
    if (m_lambda) {
        v.lambda = m_lambda->value();
        v.fullTune = m_fullTune->isChecked();
    }
    return v;
}

}  // namespace waft::ui
