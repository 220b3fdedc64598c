#include "CpuViewport.h"

#include "ViewFit.h"

#include <QApplication>
#include <QMouseEvent>
#include <QPainter>
#include <QPointer>
#include <algorithm>
#include <opencv2/imgproc.hpp>

#include "SceneController.h"
#include "raster/FastFrameRenderer.h"

namespace waft::ui {

CpuViewport::CpuViewport(SceneController* controller, QWidget* parent) : QWidget(parent), m_controller(controller) {
    setMinimumSize(160, 120);
    setAttribute(Qt::WA_OpaquePaintEvent);
    m_timer.setInterval(16);
    connect(&m_timer, &QTimer::timeout, this, &CpuViewport::tick);
    connect(controller, &SceneController::sceneChanged, this, &CpuViewport::sceneChanged);
    connect(controller, &SceneController::settingsChanged, this, &CpuViewport::wake);
    m_clock.start();
    sceneChanged();
}

CpuViewport::~CpuViewport() {
    if (m_builder.joinable()) m_builder.join();
}

void CpuViewport::sceneChanged() {
    if (m_builder.joinable()) m_builder.join();
    m_renderer.reset();  // first: it refers to the volume it was made for
    m_volume = m_controller->volume();
    m_recentCount = 0;
    const int generation = ++m_generation;
    if (!m_volume) {
        m_frame = QImage();
        wake();
        return;
    }
    // The photo, still, until the renderer is ready.
    const cv::Mat& bgr = m_volume->reference;
    m_frame = QImage(bgr.cols, bgr.rows, QImage::Format_RGBX8888);
    cv::Mat rgbx(bgr.rows, bgr.cols, CV_8UC4, m_frame.bits(), size_t(m_frame.bytesPerLine()));
    cv::cvtColor(bgr, rgbx, cv::COLOR_BGR2RGBA);  // alpha 255
    update();
    const QPointer<CpuViewport> self(this);
    m_builder = std::thread([self, volume = m_volume, generation] {
        auto renderer = std::make_shared<engine::FastFrameRenderer>(*volume);
        QMetaObject::invokeMethod(
            qApp,
            [self, volume, renderer, generation] {
                if (!self || self->m_generation != generation) return;  // another scene came meanwhile
                self->m_renderer = renderer;
                self->wake();
            },
            Qt::QueuedConnection);
    });
}

void CpuViewport::wake() {
    if (!m_timer.isActive()) m_timer.start();
}

void CpuViewport::tick() {
    if (!m_renderer) {
        m_timer.stop();
        update();
        return;
    }
    QElapsedTimer frameTimer;
    frameTimer.start();
    std::vector<std::complex<float>> q;
    const bool moving = m_controller->coordinatesAt(double(m_clock.nsecsElapsed()) * 1e-9, q);
    if (m_frame.width() != m_volume->width || m_frame.height() != m_volume->height)
        m_frame = QImage(m_volume->width, m_volume->height, QImage::Format_RGBX8888);
    // bits() detaches when a copy of the last frame (lastFrame()) is still held elsewhere.
    uchar* pixels = m_frame.bits();
    if (pixels) (void)m_renderer->renderInto(q, pixels, size_t(m_frame.bytesPerLine()), engine::PixelLayout::Rgbx);
    m_lastFrameMs = double(frameTimer.nsecsElapsed()) * 1e-6;
    m_recentMs[m_recentCount % kFrameWindow] = m_lastFrameMs;
    ++m_recentCount;
    ++m_frames;
    emit frameRendered(meanFrameMs());
    update();
    if (!moving) m_timer.stop();
}

double CpuViewport::meanFrameMs() const {
    const int n = std::min(m_recentCount, kFrameWindow);
    double sum = 0.0;
    for (int i = 0; i < n; ++i) sum += m_recentMs[i];
    return n > 0 ? sum / n : 0.0;
}

QSizeF CpuViewport::imageSize() const { return m_volume ? QSizeF(m_volume->width, m_volume->height) : QSizeF(); }

QRectF CpuViewport::imageRect() const { return viewfit::imageRect(QSizeF(size()), imageSize(), m_zoom, m_pan); }

QPointF CpuViewport::widgetPosition(QPointF scenePos) const {
    return viewfit::toView(imageRect(), imageSize(), scenePos);
}

void CpuViewport::setZoom(double zoom) {
    m_zoom = viewfit::clampZoom(zoom);
    update();
}

void CpuViewport::setPan(QPointF pan) {
    m_pan = pan;
    update();
}

QPointF CpuViewport::sceneCoordinates(QPointF widgetPos) const {
    return viewfit::toScene(imageRect(), imageSize(), widgetPos);
}

void CpuViewport::setOverlay(std::vector<QLineF> arrows, std::vector<QPointF> anchors,
                             std::vector<QRectF> freezeRegions) {
    m_arrows = std::move(arrows);
    m_anchors = std::move(anchors);
    m_freeze = std::move(freezeRegions);
    update();
}

void CpuViewport::paintEvent(QPaintEvent*) {
    QPainter painter(this);
    painter.fillRect(rect(), QColor(30, 30, 33));
    if (m_frame.isNull() || !m_volume) return;
    painter.setRenderHint(QPainter::SmoothPixmapTransform);
    const QRectF r = imageRect();
    painter.drawImage(r, m_frame);
    const double scale = r.width() / m_frame.width();
    const auto toWidget = [&](QPointF p) { return r.topLeft() + p * scale; };
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(QPen(QColor(80, 160, 255, 200), 1.5));
    painter.setBrush(QColor(80, 160, 255, 60));
    for (const QRectF& f : m_freeze) painter.drawRect(QRectF(toWidget(f.topLeft()), toWidget(f.bottomRight())));
    painter.setPen(QPen(QColor(255, 210, 60), 2.5));
    for (const QLineF& a : m_arrows) {
        const QLineF line(toWidget(a.p1()), toWidget(a.p2()));
        painter.drawLine(line);
        QLineF head(line.p2(), line.p1());
        head.setLength(10.0);
        for (double angle : {25.0, -25.0}) {
            QLineF side = head;
            side.setAngle(head.angle() + angle);
            painter.drawLine(side);
        }
    }
    painter.setPen(QPen(QColor(255, 80, 80), 2.0));
    painter.setBrush(Qt::NoBrush);
    for (const QPointF& p : m_anchors) painter.drawEllipse(toWidget(p), 6.0, 6.0);
}

void CpuViewport::mousePressEvent(QMouseEvent* event) {
    // Middle button always pans; the left button pans in Pan/Zoom mode and otherwise pulls (or paints).
    if (event->button() == Qt::MiddleButton || (event->button() == Qt::LeftButton && m_panMode)) {
        m_panning = true;
        m_panStart = event->position() - m_pan;
        return;
    }
    if (event->button() != Qt::LeftButton) return;
    emit pullPressed(sceneCoordinates(event->position()));
    wake();
}

void CpuViewport::mouseMoveEvent(QMouseEvent* event) {
    if (m_panning) {
        setPan(event->position() - m_panStart);
        return;
    }
    if (event->buttons() & Qt::LeftButton) emit pullDragged(sceneCoordinates(event->position()));
}

void CpuViewport::mouseReleaseEvent(QMouseEvent* event) {
    if (m_panning) {
        m_panning = false;
        return;
    }
    if (event->button() == Qt::LeftButton) {
        emit pullReleased();
        wake();
    }
}

void CpuViewport::mouseDoubleClickEvent(QMouseEvent* event) {
    if (!m_panMode) return QWidget::mouseDoubleClickEvent(event);
    m_zoom = 1.0;  // fit
    m_pan = {};
    update();
}

void CpuViewport::wheelEvent(QWheelEvent* event) {
    // Zoom about the cursor: the scene point under it stays put.
    const QPointF anchor = sceneCoordinates(event->position());
    setZoom(viewfit::wheelZoom(m_zoom, event->angleDelta().y()));
    m_pan += event->position() - widgetPosition(anchor);
    update();
}

}  // namespace waft::ui
