#include "MotionModelDialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <algorithm>

namespace waft::ui {

MotionModelSettings MotionModelSettings::load() {
    QSettings s;
    MotionModelSettings m;
    m.priorPath = s.value("model/prior").toString();
    m.vaePath = s.value("model/vae").toString();
    m.predict.sampler.steps = std::clamp(s.value("model/steps", 50).toInt(), 1, 1000);
    m.predict.sampler.seed = s.value("model/seed", 0).toULongLong();
    m.predict.loop = s.value("model/loop", true).toBool();
    return m;
}

void MotionModelSettings::save() const {
    QSettings s;
    s.setValue("model/prior", priorPath);
    s.setValue("model/vae", vaePath);
    s.setValue("model/steps", predict.sampler.steps);
    s.setValue("model/seed", qulonglong(predict.sampler.seed));
    s.setValue("model/loop", predict.loop);
}

bool MotionModelSettings::configured() const {
    return !priorPath.isEmpty() && !vaePath.isEmpty() && QFileInfo(priorPath).isFile() && QFileInfo(vaePath).isFile();
}

MotionModelDialog::MotionModelDialog(const MotionModelSettings& settings, QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Motion model"));
    auto* form = new QFormLayout(this);
    const auto fileRow = [this](QLineEdit*& edit, const QString& path, const QString& title) {
        edit = new QLineEdit(path, this);
        edit->setPlaceholderText(tr("a .safetensors file"));
        auto* browse = new QPushButton(tr("Browse…"), this);
        auto* row = new QHBoxLayout();
        row->addWidget(edit, 1);
        row->addWidget(browse);
        connect(browse, &QPushButton::clicked, this, [this, edit, title] {
            const QString file = QFileDialog::getOpenFileName(this, title, edit->text(), tr("Model (*.safetensors)"));
            if (!file.isEmpty()) edit->setText(file);
        });
        return row;
    };
    form->addRow(tr("Motion prior"), fileRow(m_prior, settings.priorPath, tr("Motion prior (waft-cli train-prior)")));
    form->addRow(tr("Motion VAE"), fileRow(m_vae, settings.vaePath, tr("Motion VAE (waft-cli train-vae)")));
    m_steps = new QSpinBox(this);
    m_steps->setRange(1, 1000);
    m_steps->setValue(settings.predict.sampler.steps);
    m_steps->setToolTip(tr("DDIM steps: more is slower and closer to the model's distribution (paper: 250)"));
    m_seed = new QSpinBox(this);
    m_seed->setRange(0, 1 << 30);
    m_seed->setValue(int(std::min<unsigned long>(settings.predict.sampler.seed, 1ul << 30)));
    m_seed->setToolTip(tr("Another seed gives another plausible motion"));
    m_loop = new QCheckBox(tr("Seamless loop (motion self-guidance)"), this);
    m_loop->setChecked(settings.predict.loop);
    form->addRow(tr("Sampling steps"), m_steps);
    form->addRow(tr("Seed"), m_seed);
    form->addRow(QString(), m_loop);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
}

MotionModelSettings MotionModelDialog::settings() const {
    MotionModelSettings m = MotionModelSettings::load();
    m.priorPath = m_prior->text().trimmed();
    m.vaePath = m_vae->text().trimmed();
    m.predict.sampler.steps = m_steps->value();
    m.predict.sampler.seed = static_cast<unsigned long>(m_seed->value());
    m.predict.loop = m_loop->isChecked();
    return m;
}

}  // namespace waft::ui
