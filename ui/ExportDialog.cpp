#include "ExportDialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <cmath>

namespace waft::ui {

namespace {
struct FormatChoice {
    const char* label;
    const char* extension;  // "" for a folder of PNG frames
    engine::VideoCodec codec;
};
constexpr FormatChoice kFormats[] = {
    {"MP4 (H.264)", "mp4", engine::VideoCodec::H264},
    {"MP4 (H.265)", "mp4", engine::VideoCodec::H265},
    {"WebM (VP9)", "webm", engine::VideoCodec::Auto},
    {"Animated WebP", "webp", engine::VideoCodec::Auto},
    {"APNG", "apng", engine::VideoCodec::Auto},
    {"GIF", "gif", engine::VideoCodec::Auto},
    {"PNG frames (folder)", "", engine::VideoCodec::Auto},
};
}  // namespace

ExportDialog::ExportDialog(const QString& suggestedPath, QSize sceneSize, double loopSec, QWidget* parent)
    : QDialog(parent), m_sceneSize(sceneSize), m_loopSec(loopSec) {
    setWindowTitle(tr("Export loop"));
    auto* form = new QFormLayout(this);
    m_path = new QLineEdit(suggestedPath, this);
    auto* browse = new QPushButton(tr("Browse…"), this);
    auto* pathRow = new QHBoxLayout();
    pathRow->addWidget(m_path, 1);
    pathRow->addWidget(browse);
    m_format = new QComboBox(this);
    for (const FormatChoice& f : kFormats) m_format->addItem(tr(f.label));
    m_quality = new QComboBox(this);
    m_quality->addItem(tr("Draft (small, fast)"), int(engine::ExportQuality::Draft));
    m_quality->addItem(tr("Good"), int(engine::ExportQuality::Good));
    m_quality->addItem(tr("Best"), int(engine::ExportQuality::Best));
    m_quality->addItem(tr("Lossless (large; video not for browsers)"), int(engine::ExportQuality::Lossless));
    m_quality->setCurrentIndex(1);
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
    m_renderer = new QComboBox(this);
    m_renderer->setObjectName("renderer");
    m_renderer->addItem(tr("Fast (pixel splatting, as the viewport shows)"));
    m_renderer->addItem(tr("Neural (learned renderer: fills disocclusions; slower)"));
    m_rendererModel = new QLineEdit(QSettings().value("export/rendererModel").toString(), this);
    m_rendererModel->setObjectName("rendererModel");
    m_rendererModel->setPlaceholderText(tr("renderer .safetensors (waft-cli train-renderer)"));
    auto* browseModel = new QPushButton(tr("Browse…"), this);
    auto* modelRow = new QHBoxLayout();
    modelRow->addWidget(m_rendererModel, 1);
    modelRow->addWidget(browseModel);
    const auto syncRenderer = [this, browseModel] {
        const bool neural = m_renderer->currentIndex() == 1;
        m_rendererModel->setEnabled(neural);
        browseModel->setEnabled(neural);
    };
    connect(m_renderer, &QComboBox::currentIndexChanged, this, syncRenderer);
    connect(browseModel, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getOpenFileName(this, tr("Neural renderer"), m_rendererModel->text(),
                                                          tr("Renderer (*.safetensors)"));
        if (!file.isEmpty()) m_rendererModel->setText(file);
    });
    syncRenderer();
    m_estimate = new QLabel(this);
    m_estimate->setObjectName("estimate");
    form->addRow(tr("File"), pathRow);
    form->addRow(tr("Format"), m_format);
    form->addRow(tr("Quality"), m_quality);
    form->addRow(tr("Duration"), m_seconds);
    form->addRow(tr("Frame rate"), m_fps);
    form->addRow(tr("Width"), m_width);
    form->addRow(QString(), m_loop);
    form->addRow(tr("Renderer"), m_renderer);
    form->addRow(tr("Renderer model"), modelRow);
    form->addRow(tr("Estimated size"), m_estimate);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    // Neural needs its file: no export that silently falls back to the fast renderer.
    const auto syncOk = [this, buttons] {
        buttons->button(QDialogButtonBox::Ok)
            ->setEnabled(m_renderer->currentIndex() == 0 || !m_rendererModel->text().trimmed().isEmpty());
    };
    connect(m_renderer, &QComboBox::currentIndexChanged, this, syncOk);
    connect(m_rendererModel, &QLineEdit::textChanged, this, syncOk);
    syncOk();
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, [this] {
        if (m_renderer->currentIndex() == 1) QSettings().setValue("export/rendererModel", m_rendererModel->text());
        accept();
    });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    // The format follows the path's extension and vice versa (an .mp4 keeps the chosen codec).
    const auto syncFormat = [this](const QString& text) {
        const QString suffix = QFileInfo(text).suffix().toLower();
        const bool folder = text.endsWith(QLatin1Char('/'));
        const bool matches = !folder && QLatin1String(kFormats[m_format->currentIndex()].extension) == suffix;
        for (int i = 0; i < int(std::size(kFormats)) && !matches; ++i)
            if (folder ? kFormats[i].extension[0] == '\0' : QLatin1String(kFormats[i].extension) == suffix) {
                m_format->setCurrentIndex(i);
                break;
            }
        updateEstimate();
    };
    connect(m_path, &QLineEdit::textChanged, this, syncFormat);
    connect(m_format, &QComboBox::currentIndexChanged, this, [this](int index) {
        QFileInfo info(m_path->text().endsWith(QLatin1Char('/')) ? m_path->text().chopped(1) : m_path->text());
        const QString base = info.path() + QLatin1Char('/') + info.completeBaseName();
        const QString ext = QLatin1String(kFormats[index].extension);
        const QString wanted = ext.isEmpty() ? base + QLatin1Char('/') : base + QLatin1Char('.') + ext;
        if (wanted != m_path->text()) m_path->setText(wanted);
        updateEstimate();
    });
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getSaveFileName(this, tr("Export to"), m_path->text(),
                                                          tr("Loops (*.mp4 *.webm *.webp *.apng *.gif)"));
        if (!file.isEmpty()) m_path->setText(file);
    });
    connect(m_loop, &QCheckBox::toggled, this, &ExportDialog::updateEstimate);
    for (QDoubleSpinBox* box : {m_seconds, m_fps})
        connect(box, &QDoubleSpinBox::valueChanged, this, &ExportDialog::updateEstimate);
    connect(m_width, &QSpinBox::valueChanged, this, &ExportDialog::updateEstimate);
    connect(m_quality, &QComboBox::currentIndexChanged, this, &ExportDialog::updateEstimate);
    syncFormat(m_path->text());
}

QString ExportDialog::path() const { return m_path->text(); }

engine::AnimateParams ExportDialog::params() const {
    engine::AnimateParams p;
    p.seconds = float(m_seconds->value());
    p.fps = float(m_fps->value());
    p.width = m_width->value();
    p.loop = m_loop->isChecked();
    p.encode.quality = engine::ExportQuality(m_quality->currentData().toInt());
    p.encode.codec = kFormats[m_format->currentIndex()].codec;
    return p;
}

QString ExportDialog::estimateText() const { return m_estimate->text(); }

QString ExportDialog::rendererModel() const {
    return m_renderer->currentIndex() == 1 ? m_rendererModel->text() : QString();
}

void ExportDialog::updateEstimate() {
    const auto format = engine::exportFormatForPath(m_path->text().toStdString());
    if (!format || m_sceneSize.isEmpty()) {
        m_estimate->setText(tr("–"));
        return;
    }
    const engine::AnimateParams p = params();
    const int width = p.width > 0 ? p.width : m_sceneSize.width();
    const int height = int(std::lround(double(width) * m_sceneSize.height() / m_sceneSize.width()));
    const double seconds = p.seconds > 0 ? p.seconds : m_loopSec;
    const int frames = std::max(1, int(std::lround(seconds * p.fps)));
    engine::ExportParams encode = p.encode;
    encode.loopFrames = p.loop ? frames : 0;
    const auto bytes = engine::estimateExportBytes(*format, encode, width, height, frames, p.fps);
    m_estimate->setText(tr("about %1 (%2×%3, %4 frames)")
                            .arg(QLocale().formattedDataSize(bytes, 1))
                            .arg(width)
                            .arg(height)
                            .arg(frames));
}

}  // namespace waft::ui
