#include "ml/prior/DatasetJob.h"

#include <cstdio>
#include <filesystem>

#include "analysis/MotionExtractor.h"
#include "ml/prior/TrainingData.h"

namespace fs = std::filesystem;

namespace waft::engine::prior {

Status DatasetJob::run(Progress& progress, const CancelToken& cancel) {
    const auto videos = filesIn(m_videoDir, {".mp4", ".avi", ".mov", ".webm", ".mkv", ".m4v"});
    if (videos.empty()) return Status::invalid("no videos in " + m_videoDir);
    std::error_code ec;
    fs::create_directories(m_outDir, ec);
    if (!fs::is_directory(m_outDir, ec)) return Status::io("cannot create " + m_outDir);
    for (size_t v = 0; v < videos.size(); ++v) {
        DecodeParams decode;
        decode.maxFrames = 0;
        decode.maxLongSide = std::max(m_params.width, m_params.height) * 2;
        Progress decodeProgress;
        auto video = decodeVideo(videos[v].string(), decode, Progress::Range(decodeProgress, 0, 1), cancel);
        if (!video) return video.status();
        const size_t n = video->frames.size();
        size_t window = 0;
        for (size_t start = 0; start + 5 <= n; start += size_t(std::max(1, m_params.every)), ++window) {
            if (cancel.isCancelled()) return Status::cancelled();
            if ((v + window) % size_t(m_params.shardCount) != size_t(m_params.shardIndex)) continue;
            const fs::path out =
                fs::path(m_outDir) / (videos[v].stem().string() + "-" + std::to_string(start) + ".waft");
            progress.report((float(v) + float(start) / float(n)) / float(videos.size()),
                            "extracting " + out.filename().string());
            if (fs::exists(out, ec)) {
                ++m_kept;
                continue;
            }
            VideoFrames window;
            const size_t end = std::min(n, start + size_t(m_params.frames) + 1);
            window.frames.assign(video->frames.begin() + long(start), video->frames.begin() + long(end));
            window.timesSec.assign(video->timesSec.begin() + long(start), video->timesSec.begin() + long(end));
            ExtractParams params;
            params.bands = m_params.bands;
            params.flowMethod = m_params.flow;
            auto volume = MotionExtractor::extract(window, params, Progress::Range(decodeProgress, 0, 1), cancel);
            if (!volume) {
                if (volume.status().code() == StatusCode::Cancelled) return volume.status();
                ++m_skipped;
                continue;
            }
            Scene scene;
            scene.volume = volume->resized(m_params.width, m_params.height);
            const double motion = meanMotion(scene.volume);
            if (scene.volume.bands != m_params.bands || motion < m_params.minMotionPx ||
                motion > m_params.maxMotionPx) {
                ++m_skipped;
                continue;
            }
            WAFT_RETURN_IF_ERROR(saveScene(out.string(), scene));
            ++m_written;
        }
    }
    if (m_params.shardCount > 1) {
        const fs::path marker = fs::path(m_outDir) / shardMarkerName(m_params.shardIndex, m_params.shardCount);
        std::FILE* f = std::fopen(marker.c_str(), "w");
        if (!f || std::fprintf(f, "%d written, %d kept, %d skipped\n", m_written, m_kept, m_skipped) < 0 ||
            std::fclose(f) != 0)
            return Status::io("cannot write " + marker.string());
    }
    progress.report(1.0f, "done");
    return Status::ok();
}

}  // namespace waft::engine::prior
