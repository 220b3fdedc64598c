#include "jobs/SceneJobs.h"

#include <algorithm>
#include <filesystem>
#include <opencv2/imgproc.hpp>

#include "io/ImageFile.h"
#include "io/SafetensorsWriter.h"

namespace waft::engine {

Status LoadSceneJob::run(Progress& progress, const CancelToken& cancel) {
    progress.report(0.1f, "reading");
    auto scene = loadScene(m_path);
    if (!scene) return scene.status();
    if (cancel.isCancelled()) return Status::cancelled();
    m_scene = std::make_shared<Scene>(std::move(scene).value());
    progress.report(1.0f, "done");
    return Status::ok();
}

Status SaveSceneJob::run(Progress& progress, const CancelToken& cancel) {
    if (!m_scene) return Status::invalid("no scene to save");
    if (cancel.isCancelled()) return Status::cancelled();
    progress.report(0.1f, "writing");
    WAFT_RETURN_IF_ERROR(saveScene(m_path, *m_scene));
    for (const SideFile& file : m_after)
        WAFT_RETURN_IF_ERROR(writeFileAtomic(file.path, std::vector<uint8_t>(file.bytes.begin(), file.bytes.end())));
    progress.report(1.0f, "done");
    return Status::ok();
}

Status LoadImageJob::run(Progress& progress, const CancelToken& cancel) {
    progress.report(0.1f, "decoding");
    auto decoded = readImage(m_path);
    if (!decoded) return decoded.status();
    cv::Mat image = std::move(decoded).value();
    if (cancel.isCancelled()) return Status::cancelled();
    m_sourceSize = image.size();
    const int longSide = std::max(image.cols, image.rows);
    if (m_maxLongSide > 0 && longSide > m_maxLongSide) {
        const double scale = double(m_maxLongSide) / longSide;
        cv::resize(image, image, cv::Size(), scale, scale, cv::INTER_AREA);
    }
    m_scene = std::make_shared<Scene>();
    m_scene->volume = SpectralVolume::zeros(image.cols, image.rows, 1);
    m_scene->volume.reference = image;
    m_scene->volume.frequenciesHz = {0.25f};
    m_scene->volume.sourceDurationSec = 4.0f;
    progress.report(1.0f, "done");
    return Status::ok();
}

Status MotionBrushJob::run(Progress& progress, const CancelToken& cancel) {
    if (!m_source) return Status::invalid("no image to paint motion on");
    progress.report(0.1f, "interpolating arrows");
    const cv::Mat& image = m_source->volume.reference;
    const MotionStrokes strokes = m_strokes.scaledTo(image.cols, image.rows);
    auto volume = motionFromBrush(image, strokes.arrows, strokes.anchors, strokes.freezeMask(), m_params, &cancel);
    if (!volume) return volume.status();
    if (cancel.isCancelled()) return Status::cancelled();
    m_scene = std::make_shared<Scene>();
    m_scene->volume = std::move(volume).value();
    m_scene->settings = m_source->settings;
    m_scene->source = m_source->source;  // a brushed video frame still comes from its video
    m_scene->settings.bandGains.clear();
    m_scene->settings.loopSec = m_params.loopSec;
    progress.report(1.0f, "done");
    return Status::ok();
}

Status BrushPhotoJob::run(Progress& progress, const CancelToken& cancel) {
    auto strokes = loadStrokes(m_strokesPath);
    if (!strokes) return strokes.status();
    LoadImageJob load(m_photoPath, m_maxLongSide);
    Progress loading([&progress](float f, const std::string& stage) { progress.report(0.5f * f, stage); });
    WAFT_RETURN_IF_ERROR(load.run(loading, cancel));
    const cv::Mat& photo = load.result()->volume.reference;
    m_strokes = strokes->scaledTo(photo.cols, photo.rows);
    MotionBrushJob brush(load.result(), m_strokes, m_params);
    Progress brushing([&progress](float f, const std::string& stage) { progress.report(0.5f + 0.5f * f, stage); });
    WAFT_RETURN_IF_ERROR(brush.run(brushing, cancel));
    m_scene = brush.result();
    return Status::ok();
}

}  // namespace waft::engine
