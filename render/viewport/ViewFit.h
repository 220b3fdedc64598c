#pragma once
// How a scene image sits in a view, shared by both viewports (the Vulkan SceneViewport and the CPU one): fitted,
// scaled by the user's zoom, centred, moved by the pan; and the mapping between view and scene coordinates.
// Header-only, QtCore types only.

#include <QPointF>
#include <QRectF>
#include <QSizeF>
#include <algorithm>
#include <cmath>

namespace waft::viewfit {

inline constexpr double kMinZoom = 0.1;  // of the fitted size
inline constexpr double kMaxZoom = 32.0;

inline double clampZoom(double zoom) { return std::clamp(zoom, kMinZoom, kMaxZoom); }
// One wheel notch (120) zooms by about 20%.
inline double wheelZoom(double zoom, int angleDeltaY) { return clampZoom(zoom * std::pow(1.0015, angleDeltaY)); }

// The rectangle the image covers in the view (view units).
inline QRectF imageRect(QSizeF view, QSizeF image, double zoom, QPointF pan) {
    if (image.isEmpty() || view.isEmpty()) return {};
    const double scale = zoom * std::min(view.width() / image.width(), view.height() / image.height());
    const QSizeF size(image.width() * scale, image.height() * scale);
    return QRectF(QPointF((view.width() - size.width()) / 2, (view.height() - size.height()) / 2) + pan, size);
}

inline QPointF toScene(const QRectF& rect, QSizeF image, QPointF viewPos) {
    if (rect.isEmpty()) return {};
    return {(viewPos.x() - rect.x()) * image.width() / rect.width(),
            (viewPos.y() - rect.y()) * image.height() / rect.height()};
}

inline QPointF toView(const QRectF& rect, QSizeF image, QPointF scenePos) {
    if (rect.isEmpty() || image.isEmpty()) return {};
    return rect.topLeft() +
           QPointF(scenePos.x() * rect.width() / image.width(), scenePos.y() * rect.height() / image.height());
}

}  // namespace waft::viewfit
