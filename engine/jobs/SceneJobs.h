#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/Job.h"
#include "dynamics/MotionBrush.h"
#include "dynamics/MotionStrokes.h"
#include "scene/Scene.h"

namespace waft::engine {

// The scene's file I/O and the motion brush as Jobs, so the app runs them on its engine thread like every
// other long task. Results are valid after a successful run().

class LoadSceneJob : public Job {
public:
    explicit LoadSceneJob(std::string path) : m_path(std::move(path)) {}
    std::string name() const override { return "open scene"; }
    Status run(Progress& progress, const CancelToken& cancel) override;
    std::shared_ptr<Scene> result() const { return m_scene; }

private:
    std::string m_path;
    std::shared_ptr<Scene> m_scene;
};

// Writes the scene atomically, then each side file atomically in order (the autosave's strokes, then its
// session record, whose presence vouches for the files written before it). A failure stops at that file.
class SaveSceneJob : public Job {
public:
    struct SideFile {
        std::string path;
        std::string bytes;
    };
    SaveSceneJob(std::shared_ptr<const Scene> scene, std::string path, std::vector<SideFile> after = {},
                 std::string name = "save scene")
        : m_scene(std::move(scene)), m_path(std::move(path)), m_after(std::move(after)), m_name(std::move(name)) {}
    std::string name() const override { return m_name; }
    Status run(Progress& progress, const CancelToken& cancel) override;

private:
    std::shared_ptr<const Scene> m_scene;
    std::string m_path;
    std::vector<SideFile> m_after;
    std::string m_name;
};

// A photo (image file) becomes a still scene: zero motion, ready for the motion brush.
class LoadImageJob : public Job {
public:
    LoadImageJob(std::string path, int maxLongSide = 1280) : m_path(std::move(path)), m_maxLongSide(maxLongSide) {}
    std::string name() const override { return "open image"; }
    Status run(Progress& progress, const CancelToken& cancel) override;
    std::shared_ptr<Scene> result() const { return m_scene; }
    cv::Size sourceSize() const { return m_sourceSize; }  // the photo's own size, before any downscale

private:
    std::string m_path;
    int m_maxLongSide;
    std::shared_ptr<Scene> m_scene;
    cv::Size m_sourceSize;
};

// The motion brush on a photo scene; the strokes are scaled from their image size to the scene's. The app
// and `waft-cli brush` both run this job.
class MotionBrushJob : public Job {
public:
    MotionBrushJob(std::shared_ptr<const Scene> scene, MotionStrokes strokes, MotionBrushParams params)
        : m_source(std::move(scene)), m_strokes(std::move(strokes)), m_params(params) {}
    std::string name() const override { return "motion brush"; }
    Status run(Progress& progress, const CancelToken& cancel) override;
    std::shared_ptr<Scene> result() const { return m_scene; }

private:
    std::shared_ptr<const Scene> m_source;
    MotionStrokes m_strokes;
    MotionBrushParams m_params;
    std::shared_ptr<Scene> m_scene;
};

// A photo brought to life by a stroke file in one job (the first start's sample): LoadImageJob, the strokes
// scaled to the photo as it opened, MotionBrushJob.
class BrushPhotoJob : public Job {
public:
    BrushPhotoJob(std::string photoPath, std::string strokesPath, MotionBrushParams params, int maxLongSide = 1280)
        : m_photoPath(std::move(photoPath)),
          m_strokesPath(std::move(strokesPath)),
          m_params(params),
          m_maxLongSide(maxLongSide) {}
    std::string name() const override { return "open sample"; }
    Status run(Progress& progress, const CancelToken& cancel) override;
    std::shared_ptr<Scene> result() const { return m_scene; }
    const MotionStrokes& strokes() const { return m_strokes; }  // in the scene's pixels

private:
    std::string m_photoPath;
    std::string m_strokesPath;
    MotionBrushParams m_params;
    int m_maxLongSide;
    std::shared_ptr<Scene> m_scene;
    MotionStrokes m_strokes;
};

}  // namespace waft::engine
