#include "SceneViewport.h"

#include <QMouseEvent>
#include <QWheelEvent>
#include <algorithm>

#include "SceneViewportRenderer.h"

namespace waft::render {

SceneViewport::SceneViewport(QWindow* parent) : QVulkanWindow(parent) {}

SceneViewport::~SceneViewport() {
    if (isVisible()) close();
}

void SceneViewport::setScene(std::shared_ptr<const engine::SpectralVolume> volume) {
    m_scene = std::move(volume);
    requestUpdate();
}

void SceneViewport::setCoordinateSource(CoordinateSource source) {
    m_source = std::move(source);
    requestUpdate();
}

void SceneViewport::setZoom(float zoom) {
    m_zoom = std::clamp(zoom, 0.05f, 64.0f);
    requestUpdate();
}

void SceneViewport::setPan(QPointF pan) {
    m_pan = pan;
    requestUpdate();
}

float SceneViewport::effectiveScale(QSize viewportPixels) const {
    if (!m_scene || m_scene->width <= 0 || m_scene->height <= 0) return 1.0f;
    const float fit = std::min(float(viewportPixels.width()) / float(m_scene->width),
                               float(viewportPixels.height()) / float(m_scene->height));
    return fit * m_zoom;
}

QPointF SceneViewport::sceneCoordinates(QPointF windowPos) const {
    if (!m_scene) return {};
    const qreal ratio = devicePixelRatio();
    const QSize pixels = size() * ratio;
    const float scale = effectiveScale(pixels);
    const QPointF screen = windowPos * ratio;
    return {(screen.x() - 0.5 * pixels.width() - panPixels().x()) / scale + 0.5 * m_scene->width,
            (screen.y() - 0.5 * pixels.height() - panPixels().y()) / scale + 0.5 * m_scene->height};
}

bool SceneViewport::coordinatesAt(double timeSec, std::vector<std::complex<float>>& q) {
    if (!m_source) {
        q.assign(m_scene ? size_t(m_scene->bands) : 0, std::complex<float>());
        return false;
    }
    return m_source(timeSec, q);
}

void SceneViewport::frameDone(double ms) {
    m_lastFrameMs = ms;
    ++m_frames;
    emit frameRendered(ms);
}

void SceneViewport::reportError(const QString& message) {
    m_lastError = message;
    emit renderFailed(message);
}

QVulkanWindowRenderer* SceneViewport::createRenderer() { return new SceneViewportRenderer(this); }

void SceneViewport::wheelEvent(QWheelEvent* event) {
    setZoom(m_zoom * std::pow(1.0015f, float(event->angleDelta().y())));
}

void SceneViewport::mousePressEvent(QMouseEvent* event) {
    if (event->button() == Qt::MiddleButton) m_dragStart = event->position() - m_pan;
    if (event->button() == Qt::LeftButton) {
        emit pullPressed(sceneCoordinates(event->position()));
        requestUpdate();
    }
}

void SceneViewport::mouseMoveEvent(QMouseEvent* event) {
    if (event->buttons() & Qt::MiddleButton) setPan(event->position() - m_dragStart);
    if (event->buttons() & Qt::LeftButton) {
        emit pullDragged(sceneCoordinates(event->position()));
        requestUpdate();
    }
}

void SceneViewport::mouseReleaseEvent(QMouseEvent* event) {
    if (event->button() == Qt::LeftButton) {
        emit pullReleased();
        requestUpdate();
    }
}

}  // namespace waft::render
