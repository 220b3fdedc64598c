#pragma once

// Vulkan (with prototypes) before Qt: qvulkaninstance.h would otherwise define VK_NO_PROTOTYPES first.
#include <vulkan/vulkan.h>

#include <QPointF>
#include <QVulkanWindow>
#include <complex>
#include <functional>
#include <memory>
#include <vector>

#include "motion/SpectralVolume.h"

namespace waft::render {

// The real-time viewport: a QVulkanWindow (embed it with QWidget::createWindowContainer) that renders the
// scene with the Vulkan compute pipeline on Qt's own device every frame and shows it with zoom and pan.
// The coordinate source supplies the K complex coordinates for a time and says whether anything still moves;
// the window renders continuously while it does and idles otherwise. GUI thread only.
class SceneViewport : public QVulkanWindow {
    Q_OBJECT
public:
    // Returns false once nothing moves any more (the viewport then stops requesting frames).
    using CoordinateSource = std::function<bool(double timeSec, std::vector<std::complex<float>>& q)>;

    explicit SceneViewport(QWindow* parent = nullptr);
    // Closes the window first if it is still shown: Qt 6.4 destroying an exposed QVulkanWindow destroys the
    // surface before the swapchain (a validation error); closing releases everything in order.
    ~SceneViewport() override;

    void setScene(std::shared_ptr<const engine::SpectralVolume> volume);
    std::shared_ptr<const engine::SpectralVolume> scene() const { return m_scene; }
    void setCoordinateSource(CoordinateSource source);
    // Zoom 1 = fit the window; the effective scale is fitScale * zoom. Pan is in screen pixels.
    void setZoom(float zoom);
    void setPan(QPointF pan);
    float zoom() const { return m_zoom; }
    QPointF pan() const { return m_pan; }
    // Maps a window position to scene pixel coordinates (what a pull needs).
    QPointF sceneCoordinates(QPointF windowPos) const;

    // Frame-time readout: milliseconds of the last frame's compute + draw recording, and frames drawn.
    double lastFrameMs() const { return m_lastFrameMs; }
    int framesRendered() const { return m_frames; }
    QString lastError() const { return m_lastError; }

    QVulkanWindowRenderer* createRenderer() override;

    // Internal, for the renderer.
    bool coordinatesAt(double timeSec, std::vector<std::complex<float>>& q);
    void frameDone(double ms);
    void reportError(const QString& message);
    float effectiveScale(QSize viewportPixels) const;
    QSizeF sceneSize() const;  // empty without a scene
    QPointF panPixels() const { return m_pan * devicePixelRatio(); }

signals:
    void frameRendered(double frameMs);
    void renderFailed(const QString& message);
    // Left button: a pull, in scene pixel coordinates.
    void pullPressed(QPointF scenePos);
    void pullDragged(QPointF scenePos);
    void pullReleased();

protected:
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;

private:
    std::shared_ptr<const engine::SpectralVolume> m_scene;
    CoordinateSource m_source;
    float m_zoom = 1.0f;
    QPointF m_pan;
    QPointF m_dragStart;
    double m_lastFrameMs = 0.0;
    int m_frames = 0;
    QString m_lastError;
};

}  // namespace waft::render
