#include "MotionPanel.h"

#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSlider>
#include <QUndoStack>
#include <QVBoxLayout>
#include <cmath>

#include "SceneController.h"
#include "SettingsCommand.h"

namespace waft::ui {

namespace {
enum Control { kGlobal = 1, kSpeed, kDamping, kLoop, kBandBase = 100 };

QSlider* percentSlider(int lo, int hi, QWidget* parent) {
    auto* s = new QSlider(Qt::Horizontal, parent);
    s->setRange(lo, hi);
    return s;
}
}  // namespace

MotionPanel::MotionPanel(SceneController* controller, QUndoStack* undo, QWidget* parent)
    : QWidget(parent), m_controller(controller), m_undo(undo) {
    auto* layout = new QVBoxLayout(this);
    auto* form = new QFormLayout();
    m_global = percentSlider(0, 300, this);
    m_global->setToolTip(tr("Motion amplitude (%)"));
    m_speed = percentSlider(10, 400, this);
    m_speed->setToolTip(tr("Speed (%): below 100 is slow motion"));
    m_damping = percentSlider(0, 100, this);
    m_damping->setToolTip(tr("Damping ratio of pulls (0 to 0.5)"));
    m_loop = new QDoubleSpinBox(this);
    m_loop->setRange(0.0, 120.0);
    m_loop->setSuffix(tr(" s"));
    m_loop->setSpecialValueText(tr("auto"));
    m_loop->setDecimals(1);
    form->addRow(tr("Amplitude"), m_global);
    form->addRow(tr("Speed"), m_speed);
    form->addRow(tr("Damping"), m_damping);
    form->addRow(tr("Loop length"), m_loop);
    layout->addLayout(form);

    auto* bands = new QGroupBox(tr("Frequency bands"), this);
    m_bandGrid = new QGridLayout(bands);
    // The bands scroll vertically only: the panel is as wide as a label and a usable slider.
    m_scroll = new QScrollArea(this);
    m_scroll->setWidget(bands);
    m_scroll->setWidgetResizable(true);
    m_scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    layout->addWidget(m_scroll, 1);
    auto* reset = new QPushButton(tr("Reset motion"), this);
    reset->setToolTip(tr("Stop every pull at once (R)"));
    layout->addWidget(reset);

    connect(m_global, &QSlider::valueChanged, this, [this](int v) {
        edit(kGlobal, tr("Change amplitude"), [v](engine::SceneSettings& s) { s.globalGain = float(v) / 100.0f; });
    });
    connect(m_speed, &QSlider::valueChanged, this, [this](int v) {
        edit(kSpeed, tr("Change speed"), [v](engine::SceneSettings& s) { s.speed = float(v) / 100.0f; });
    });
    connect(m_damping, &QSlider::valueChanged, this, [this](int v) {
        edit(kDamping, tr("Change damping"), [v](engine::SceneSettings& s) { s.dampingRatio = float(v) * 0.005f; });
    });
    connect(m_loop, qOverload<double>(&QDoubleSpinBox::valueChanged), this, [this](double v) {
        edit(kLoop, tr("Change loop length"), [v](engine::SceneSettings& s) { s.loopSec = float(v); });
    });
    connect(reset, &QPushButton::clicked, controller, &SceneController::resetMotion);
    connect(controller, &SceneController::sceneChanged, this, &MotionPanel::rebuildBands);
    connect(controller, &SceneController::settingsChanged, this, &MotionPanel::showSettings);
    rebuildBands();
}

void MotionPanel::rebuildBands() {
    for (QSlider* s : m_bands) delete s;
    for (QLabel* l : m_bandLabels) delete l;
    m_bands.clear();
    m_bandLabels.clear();
    const auto scene = m_controller->scene();
    if (!scene) return;
    const int bands = scene->volume.bands;
    const int rows = bands;  // low to high, top to bottom; the panel scrolls for many bands
    for (int j = 0; j < bands; ++j) {
        auto* label =
            new QLabel(QStringLiteral("%1 Hz").arg(double(scene->volume.frequenciesHz[size_t(j)]), 0, 'f', 2));
        auto* slider = percentSlider(0, 300, nullptr);
        slider->setMinimumWidth(90);
        slider->setToolTip(tr("Band %1 amplitude (%)").arg(j + 1));
        m_bandGrid->addWidget(label, j % rows, (j / rows) * 2);
        m_bandGrid->addWidget(slider, j % rows, (j / rows) * 2 + 1);
        connect(slider, &QSlider::valueChanged, this, [this, j](int v) {
            edit(kBandBase + j, tr("Change band %1").arg(j + 1),
                 [j, v](engine::SceneSettings& s) { s.bandGains[size_t(j)] = float(v) / 100.0f; });
        });
        m_bands.push_back(slider);
        m_bandLabels.push_back(label);
    }
    QWidget* content = m_scroll->widget();
    content->layout()->activate();
    m_scroll->setMinimumWidth(content->minimumSizeHint().width() + m_scroll->verticalScrollBar()->sizeHint().width() +
                              2 * m_scroll->frameWidth());
    showSettings(m_controller->settings());
}

void MotionPanel::showSettings(const engine::SceneSettings& settings) {
    m_updating = true;
    m_global->setValue(int(std::lround(settings.globalGain * 100.0f)));
    m_speed->setValue(int(std::lround(settings.speed * 100.0f)));
    m_damping->setValue(int(std::lround(settings.dampingRatio / 0.005f)));
    m_loop->setValue(settings.loopSec);
    for (size_t j = 0; j < m_bands.size() && j < settings.bandGains.size(); ++j)
        m_bands[j]->setValue(int(std::lround(settings.bandGains[j] * 100.0f)));
    m_updating = false;
}

void MotionPanel::edit(int control, const QString& text, const std::function<void(engine::SceneSettings&)>& change) {
    if (m_updating || !m_controller->scene()) return;
    engine::SceneSettings after = m_controller->settings();
    change(after);
    m_undo->push(new SettingsCommand(m_controller, m_controller->settings(), after, control, text));
}

}  // namespace waft::ui
