#pragma once

#include <QElapsedTimer>
#include <QImage>
#include <QLineF>
#include <QTimer>
#include <QWidget>
#include <memory>
#include <vector>

namespace waft::engine {
class FrameRenderer;
struct SpectralVolume;
}  // namespace waft::engine

namespace waft::ui {

class SceneController;

// The viewport without a GPU: renders each frame with the engine's CPU reference (synthesis + softmax
// splat) on the UI thread and paints it scaled to fit. Repaints at up to 60 Hz while the controller reports
// motion and idles otherwise. Left drags are pulls (scene coordinates), like the Vulkan viewport.
class CpuViewport : public QWidget {
    Q_OBJECT
public:
    explicit CpuViewport(SceneController* controller, QWidget* parent = nullptr);
    ~CpuViewport() override;

    int framesRendered() const { return m_frames; }
    double lastFrameMs() const { return m_lastFrameMs; }
    QPointF sceneCoordinates(QPointF widgetPos) const;
    QPointF widgetPosition(QPointF scenePos) const;
    // Zoom 1 = fit; pan in widget pixels. With panMode, left drags pan instead of pulling.
    void setZoom(double zoom);
    void setPan(QPointF pan);
    double zoom() const { return m_zoom; }
    void setPanMode(bool panMode) { m_panMode = panMode; }
    QImage lastFrame() const { return m_frame; }
    // Motion-brush strokes drawn over the frame, in scene coordinates.
    void setOverlay(std::vector<QLineF> arrows, std::vector<QPointF> anchors, std::vector<QRectF> freezeRegions);

public slots:
    void sceneChanged();
    void wake();

signals:
    void frameRendered(double frameMs);
    void pullPressed(QPointF scenePos);
    void pullDragged(QPointF scenePos);
    void pullReleased();

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;

private:
    void tick();
    QSizeF imageSize() const;
    QRectF imageRect() const;

    SceneController* m_controller;
    std::shared_ptr<const engine::SpectralVolume> m_volume;
    std::unique_ptr<engine::FrameRenderer> m_renderer;
    QImage m_frame;
    QTimer m_timer;
    QElapsedTimer m_clock;
    std::vector<QLineF> m_arrows;
    std::vector<QPointF> m_anchors;
    std::vector<QRectF> m_freeze;
    double m_zoom = 1.0;
    QPointF m_pan;
    QPointF m_panStart;
    bool m_panMode = false;
    bool m_panning = false;
    int m_frames = 0;
    double m_lastFrameMs = 0.0;
};

}  // namespace waft::ui
