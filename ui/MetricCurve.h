#pragma once

#include <QPointF>
#include <QWidget>
#include <vector>

namespace waft::ui {

// A small line plot of one metric over steps (a training loss in the Jobs panel). Keeps at most kMaxPoints:
// when full, every other point is dropped, so the whole run stays visible at half the resolution. UI thread.
class MetricCurve : public QWidget {
    Q_OBJECT
public:
    static constexpr size_t kMaxPoints = 400;
    explicit MetricCurve(QWidget* parent = nullptr);
    void add(int step, double value);
    const std::vector<QPointF>& points() const { return m_points; }
    QSize sizeHint() const override { return {160, 36}; }

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    std::vector<QPointF> m_points;
};

}  // namespace waft::ui
