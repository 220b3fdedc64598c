#include "StrokeDocument.h"

#include <QUndoStack>

#include "LambdaCommand.h"
#include "SceneController.h"

namespace waft::ui {

StrokeDocument::StrokeDocument(SceneController* controller, QUndoStack* undo, QObject* parent)
    : QObject(parent), m_controller(controller), m_undo(undo) {}

engine::MotionStrokes StrokeDocument::strokes() const {
    engine::MotionStrokes s;
    if (const auto scene = m_controller->scene()) {
        s.width = scene->volume.width;
        s.height = scene->volume.height;
    }
    s.arrows = m_arrows;
    s.anchors = m_anchors;
    for (const QRectF& r : m_freeze)
        s.freeze.push_back({float(r.x()), float(r.y()), float(r.width()), float(r.height())});
    return s;
}

void StrokeDocument::addArrow(const engine::MotionArrow& arrow) {
    m_undo->push(new LambdaCommand(
        tr("Motion arrow"),
        [this, arrow] {
            m_arrows.push_back(arrow);
            emit changed();
        },
        [this] {
            m_arrows.pop_back();
            emit changed();
        }));
}

void StrokeDocument::addAnchor(const engine::MotionAnchor& anchor) {
    m_undo->push(new LambdaCommand(
        tr("Anchor"),
        [this, anchor] {
            m_anchors.push_back(anchor);
            emit changed();
        },
        [this] {
            m_anchors.pop_back();
            emit changed();
        }));
}

void StrokeDocument::addFreezeRegion(const QRectF& region) {
    m_undo->push(new LambdaCommand(
        tr("Freeze region"),
        [this, region] {
            m_freeze.push_back(region);
            emit changed();
        },
        [this] {
            m_freeze.pop_back();
            emit changed();
        }));
}

void StrokeDocument::setNow(const engine::MotionStrokes& s) {
    m_arrows = s.arrows;
    m_anchors = s.anchors;
    m_freeze.clear();
    for (const auto& r : s.freeze) m_freeze.emplace_back(r.x, r.y, r.width, r.height);
    emit changed();
}

void StrokeDocument::replace(const QString& title, const engine::MotionStrokes& strokes) {
    const auto scene = m_controller->scene();
    const engine::MotionStrokes next = scene ? strokes.scaledTo(scene->volume.width, scene->volume.height) : strokes;
    m_undo->push(new LambdaCommand(
        title, [this, next] { setNow(next); }, [this, previous = this->strokes()] { setNow(previous); }));
}

engine::Status StrokeDocument::load(const QString& path) {
    auto loaded = engine::loadStrokes(path.toStdString());
    if (!loaded) return loaded.status();
    replace(tr("Load strokes"), *loaded);
    return engine::Status::ok();
}

}  // namespace waft::ui
