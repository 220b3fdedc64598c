#include "ViewportHost.h"

#include <QVBoxLayout>
#include <QVulkanFunctions>

#include "CpuViewport.h"
#include "SceneController.h"
#include "SceneViewport.h"

namespace waft::ui {

ViewportHost::ViewportHost(SceneController* controller, QWidget* parent) : QWidget(parent), m_controller(controller) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    const QByteArray forced = qgetenv("WAFT_VIEWPORT");
    const bool wantVulkan = forced == "vulkan" || (forced != "cpu" && gpuVulkanAvailable());
    if (wantVulkan && (m_instance.isValid() || m_instance.create())) {
        m_vulkan = new render::SceneViewport();
        m_vulkan->setVulkanInstance(&m_instance);
        m_vulkan->setCoordinateSource(
            [controller](double t, std::vector<std::complex<float>>& q) { return controller->coordinatesAt(t, q); });
        m_vulkan->setScene(controller->volume());
        connect(controller, &SceneController::sceneChanged, this,
                [this] { m_vulkan->setScene(m_controller->volume()); });
        connect(controller, &SceneController::settingsChanged, m_vulkan, [this] { m_vulkan->requestUpdate(); });
        connect(controller, &SceneController::playingChanged, m_vulkan, [this] { m_vulkan->requestUpdate(); });
        connect(m_vulkan, &render::SceneViewport::frameRendered, this, &ViewportHost::frameRendered);
        connect(m_vulkan, &render::SceneViewport::pullPressed, this, &ViewportHost::pressed);
        connect(m_vulkan, &render::SceneViewport::pullDragged, this, &ViewportHost::dragged);
        connect(m_vulkan, &render::SceneViewport::pullReleased, this, &ViewportHost::released);
        layout->addWidget(QWidget::createWindowContainer(m_vulkan, this));
        m_vulkan->setCursor(Qt::OpenHandCursor);
        m_description = tr("Vulkan viewport");
    } else {
        m_cpu = new CpuViewport(controller, this);
        connect(controller, &SceneController::playingChanged, m_cpu, &CpuViewport::wake);
        connect(m_cpu, &CpuViewport::frameRendered, this, &ViewportHost::frameRendered);
        connect(m_cpu, &CpuViewport::pullPressed, this, &ViewportHost::pressed);
        connect(m_cpu, &CpuViewport::pullDragged, this, &ViewportHost::dragged);
        connect(m_cpu, &CpuViewport::pullReleased, this, &ViewportHost::released);
        layout->addWidget(m_cpu);
        m_cpu->setCursor(Qt::OpenHandCursor);
        m_description = forced == "cpu" ? tr("CPU viewport") : tr("No GPU Vulkan device: rendering on the CPU");
    }
}

ViewportHost::~ViewportHost() = default;

void ViewportHost::insertBanner(QWidget* banner) { static_cast<QVBoxLayout*>(layout())->insertWidget(0, banner); }

bool ViewportHost::gpuVulkanAvailable() {
    if (!m_instance.create()) return false;
    QVulkanFunctions* f = m_instance.functions();
    uint32_t count = 0;
    f->vkEnumeratePhysicalDevices(m_instance.vkInstance(), &count, nullptr);
    std::vector<VkPhysicalDevice> devices(count);
    f->vkEnumeratePhysicalDevices(m_instance.vkInstance(), &count, devices.data());
    for (VkPhysicalDevice d : devices) {
        VkPhysicalDeviceProperties props;
        f->vkGetPhysicalDeviceProperties(d, &props);
        if (props.deviceType != VK_PHYSICAL_DEVICE_TYPE_CPU) return true;
    }
    return false;
}

void ViewportHost::setTool(Tool tool) {
    m_tool = tool;
    if (m_cpu) m_cpu->setPanMode(tool == Tool::PanZoom);
    // The cursor says what a press will do.
    const Qt::CursorShape shape = tool == Tool::Pull      ? Qt::OpenHandCursor
                                  : tool == Tool::PanZoom ? Qt::SizeAllCursor
                                  : tool == Tool::Anchor  ? Qt::PointingHandCursor
                                                          : Qt::CrossCursor;
    if (m_cpu) m_cpu->setCursor(shape);
    if (m_vulkan) m_vulkan->setCursor(shape);
}

int ViewportHost::framesRendered() const { return m_vulkan ? m_vulkan->framesRendered() : m_cpu->framesRendered(); }

QPointF ViewportHost::widgetPosition(QPointF scenePos) const {
    if (m_cpu) return m_cpu->mapTo(this, m_cpu->widgetPosition(scenePos));
    const auto volume = m_controller->volume();
    if (!volume) return {};
    const double scale = std::min(double(width()) / volume->width, double(height()) / volume->height);
    return {0.5 * width() + (scenePos.x() - 0.5 * volume->width) * scale,
            0.5 * height() + (scenePos.y() - 0.5 * volume->height) * scale};
}

void ViewportHost::pressed(QPointF scenePos) {
    m_strokeStart = m_strokeLast = scenePos;
    m_stroking = true;
    if (m_tool == Tool::Pull) m_controller->press(scenePos);
    if (m_tool == Tool::Anchor) emit anchorPlaced(scenePos);
}

void ViewportHost::dragged(QPointF scenePos) {
    m_strokeLast = scenePos;
    if (m_tool == Tool::Pull) m_controller->drag(scenePos);
}

void ViewportHost::released() {
    if (!m_stroking) return;
    m_stroking = false;
    switch (m_tool) {
        case Tool::Pull: m_controller->release(); break;
        case Tool::MotionBrush:
            if (m_strokeLast != m_strokeStart) emit arrowPainted(m_strokeStart, m_strokeLast);
            break;
        case Tool::FreezeMask: emit freezePainted(QRectF(m_strokeStart, m_strokeLast).normalized()); break;
        case Tool::Anchor:
        case Tool::PanZoom: break;
    }
}

}  // namespace waft::ui
