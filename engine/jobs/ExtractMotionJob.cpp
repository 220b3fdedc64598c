#include "jobs/ExtractMotionJob.h"

#include <filesystem>

#include "core/JsonLimits.h"

namespace waft::engine {

ExtractMotionJob::ExtractMotionJob(std::string videoPath, ExtractParams params)
    : m_videoPath(std::move(videoPath)), m_params(params) {}

Status ExtractMotionJob::run(Progress& progress, const CancelToken& cancel) {
    auto video = decodeVideo(m_videoPath, m_params.decode, Progress::Range(progress, 0.0f, 0.15f), cancel);
    if (!video) return video.status();
    auto volume = MotionExtractor::extract(*video, m_params, Progress::Range(progress, 0.15f, 1.0f), cancel);
    if (!volume) return volume.status().withContext(m_videoPath);
    m_result = std::move(volume).value();
    std::error_code ec;
    const std::string absolute = std::filesystem::absolute(m_videoPath, ec).string();
    const std::vector<double>& t = video->timesSec;
    const double lastFrame = t.size() > 1 ? (t.back() - t.front()) / double(t.size() - 1) : 0.0;
    m_source = {ec ? m_videoPath : absolute, t.front(), t.back() + lastFrame};
    if (!isValidUtf8(m_source.videoPath)) m_source = {};  // a scene file stores the path as JSON text
    return Status::ok();
}

}  // namespace waft::engine
