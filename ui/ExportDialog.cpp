#include "ExportDialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>

namespace waft::ui {

ExportDialog::ExportDialog(const QString& suggestedPath, QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Export loop"));
    auto* form = new QFormLayout(this);
    m_path = new QLineEdit(suggestedPath, this);
    auto* browse = new QPushButton(tr("Browse…"), this);
    auto* pathRow = new QHBoxLayout();
    pathRow->addWidget(m_path, 1);
    pathRow->addWidget(browse);
    m_format = new QComboBox(this);
    m_format->addItems({"mp4", "webm", "gif", "png"});
    m_seconds = new QDoubleSpinBox(this);
    m_seconds->setRange(0.0, 600.0);
    m_seconds->setSpecialValueText(tr("loop length"));
    m_seconds->setSuffix(tr(" s"));
    m_fps = new QDoubleSpinBox(this);
    m_fps->setRange(1.0, 240.0);
    m_fps->setValue(30.0);
    m_width = new QSpinBox(this);
    m_width->setRange(0, 16384);
    m_width->setSpecialValueText(tr("scene size"));
    m_loop = new QCheckBox(tr("Seamless loop"), this);
    m_loop->setChecked(true);
    form->addRow(tr("File"), pathRow);
    form->addRow(tr("Format"), m_format);
    form->addRow(tr("Duration"), m_seconds);
    form->addRow(tr("Frame rate"), m_fps);
    form->addRow(tr("Width"), m_width);
    form->addRow(QString(), m_loop);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    // The format follows the path's extension and vice versa.
    const auto syncFormat = [this] {
        const QString suffix = QFileInfo(m_path->text()).suffix().toLower();
        const int index = m_format->findText(suffix);
        if (index >= 0) m_format->setCurrentIndex(index);
    };
    connect(m_path, &QLineEdit::textChanged, this, syncFormat);
    connect(m_format, &QComboBox::currentTextChanged, this, [this](const QString& format) {
        QFileInfo info(m_path->text());
        const QString base = info.path() + QLatin1Char('/') + info.completeBaseName();
        const QString wanted = format == "png" ? base + QLatin1Char('/') : base + QLatin1Char('.') + format;
        if (wanted != m_path->text()) m_path->setText(wanted);
    });
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getSaveFileName(this, tr("Export to"), m_path->text(),
                                                          tr("Video (*.mp4 *.webm *.gif)"));
        if (!file.isEmpty()) m_path->setText(file);
    });
    syncFormat();
}

QString ExportDialog::path() const { return m_path->text(); }

engine::AnimateParams ExportDialog::params() const {
    engine::AnimateParams p;
    p.seconds = float(m_seconds->value());
    p.fps = float(m_fps->value());
    p.width = m_width->value();
    p.loop = m_loop->isChecked();
    return p;
}

}  // namespace waft::ui
