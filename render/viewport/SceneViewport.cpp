#include "SceneViewport.h"

#include <QMouseEvent>
#include <QWheelEvent>
#include <algorithm>

#include "SceneViewportRenderer.h"
#include "ViewFit.h"

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
    m_zoom = float(viewfit::clampZoom(zoom));
    requestUpdate();
}

void SceneViewport::setPan(QPointF pan) {
    m_pan = pan;
    requestUpdate();
}

QSizeF SceneViewport::sceneSize() const { return m_scene ? QSizeF(m_scene->width, m_scene->height) : QSizeF(); }

float SceneViewport::effectiveScale(QSize viewportPixels) const {
    const QRectF rect = viewfit::imageRect(QSizeF(viewportPixels), sceneSize(), m_zoom, panPixels());
    return rect.isEmpty() ? 1.0f : float(rect.width() / sceneSize().width());
}

QPointF SceneViewport::sceneCoordinates(QPointF windowPos) const {
    const qreal ratio = devicePixelRatio();
    const QRectF rect = viewfit::imageRect(QSizeF(size() * ratio), sceneSize(), m_zoom, panPixels());
    return viewfit::toScene(rect, sceneSize(), windowPos * ratio);
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
    setZoom(float(viewfit::wheelZoom(m_zoom, event->angleDelta().y())));
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
