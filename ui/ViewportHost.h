#pragma once

#include <QPointF>
#include <QRectF>
#include <QVulkanInstance>
#include <QWidget>
#include <memory>

namespace waft::render {
class SceneViewport;
}

namespace waft::ui {

class CpuViewport;
class SceneController;

enum class Tool { Pull, MotionBrush, Anchor, FreezeMask, PanZoom };

// The centre of the window: the Vulkan viewport (render::SceneViewport in a window container) when a GPU
// Vulkan device exists, else the CPU viewport (a CPU Vulkan device such as lavapipe is slower than the CPU
// reference; WAFT_VIEWPORT=vulkan|cpu overrides). Routes mouse gestures by tool: pulls go to the controller,
// brush strokes come out as signals in scene coordinates. UI thread.
class ViewportHost : public QWidget {
    Q_OBJECT
public:
    explicit ViewportHost(SceneController* controller, QWidget* parent = nullptr);
    ~ViewportHost() override;

    QString backendDescription() const { return m_description; }
    bool usesVulkan() const { return m_vulkan != nullptr; }
    int framesRendered() const;
    void setTool(Tool tool);
    Tool tool() const { return m_tool; }
    // Where a scene pixel is, in this widget's coordinates (for tests and overlays).
    QPointF widgetPosition(QPointF scenePos) const;
    // A widget above the viewport (the Vulkan viewport's native window would cover one drawn over it).
    void insertBanner(QWidget* banner);
    CpuViewport* cpuViewport() const { return m_cpu; }
    render::SceneViewport* vulkanViewport() const { return m_vulkan; }

signals:
    void frameRendered(double frameMs);
    void arrowPainted(QPointF from, QPointF to);
    void anchorPlaced(QPointF at);
    void freezePainted(QRectF region);

private:
    void pressed(QPointF scenePos);
    void dragged(QPointF scenePos);
    void released();
    bool gpuVulkanAvailable();

    SceneController* m_controller;
    QVulkanInstance m_instance;
    render::SceneViewport* m_vulkan = nullptr;
    CpuViewport* m_cpu = nullptr;
    QString m_description;
    Tool m_tool = Tool::Pull;
    QPointF m_strokeStart;
    QPointF m_strokeLast;
    bool m_stroking = false;
};

}  // namespace waft::ui
