#include "MetricCurve.h"

#include <QPainter>
#include <QPainterPath>
#include <algorithm>
#include <cmath>

namespace waft::ui {

MetricCurve::MetricCurve(QWidget* parent) : QWidget(parent) { setMinimumHeight(28); }

void MetricCurve::add(int step, double value) {
    if (!std::isfinite(value)) return;
    if (m_points.size() >= kMaxPoints) {
        std::vector<QPointF> kept;
        for (size_t i = 0; i < m_points.size(); i += 2) kept.push_back(m_points[i]);
        m_points.swap(kept);
    }
    m_points.emplace_back(step, value);
    update();
}

void MetricCurve::paintEvent(QPaintEvent*) {
    if (m_points.size() < 2) return;
    double x0 = m_points.front().x(), x1 = m_points.back().x();
    const auto [lo, hi] = std::minmax_element(m_points.begin(), m_points.end(),
                                              [](const QPointF& a, const QPointF& b) { return a.y() < b.y(); });
    const double y0 = lo->y(), y1 = hi->y();
    if (x1 <= x0) x1 = x0 + 1.0;
    const QRectF area = QRectF(rect()).adjusted(2, 2, -2, -2);
    QPainterPath path;
    for (size_t i = 0; i < m_points.size(); ++i) {
        const double fx = (m_points[i].x() - x0) / (x1 - x0);
        const double fy = y1 > y0 ? (m_points[i].y() - y0) / (y1 - y0) : 0.5;
        const QPointF p(area.left() + fx * area.width(), area.bottom() - fy * area.height());
        if (i == 0)
            path.moveTo(p);
        else
            path.lineTo(p);
    }
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(QPen(palette().color(QPalette::Highlight), 1.5));
    painter.drawPath(path);
}

}  // namespace waft::ui
