#pragma once

#include <QElapsedTimer>
#include <QImage>
#include <QLineF>
#include <QTimer>
#include <QWidget>
#include <memory>
#include <thread>
#include <vector>

namespace waft::engine {
class FastFrameRenderer;
struct SpectralVolume;
}  // namespace waft::engine

namespace waft::ui {

class SceneController;

// The viewport without a GPU: renders each frame with the engine's fast CPU frame path (FastFrameRenderer,
// straight into the QImage it paints, no conversion or copy) on the UI thread and paints it scaled to fit.
// Repaints at up to 60 Hz while the controller reports motion and idles otherwise. A new scene shows its photo
// at once and moves as soon as its renderer is set up (off the UI thread). Left drags are pulls
// (scene coordinates), like the Vulkan viewport. frameRendered reports the mean render time of the last
// frames (kFrameWindow), what the status bar shows.
class CpuViewport : public QWidget {
    Q_OBJECT
public:
    explicit CpuViewport(SceneController* controller, QWidget* parent = nullptr);
    ~CpuViewport() override;

    static constexpr int kFrameWindow = 30;

    int framesRendered() const { return m_frames; }
    double lastFrameMs() const { return m_lastFrameMs; }
    double meanFrameMs() const;
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
    std::shared_ptr<engine::FastFrameRenderer> m_renderer;
    // The renderer's set-up (error tables, residuals: most of a second at 1080p) runs on this thread while the
    // photo is shown still; joined before the next one starts and on destruction.
    std::thread m_builder;
    int m_generation = 0;
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
    double m_recentMs[kFrameWindow] = {};
    int m_recentCount = 0;  // frames of this scene, for the mean
};

}  // namespace waft::ui
