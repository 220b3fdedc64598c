#pragma once

#include <memory>
#include <opencv2/core/mat.hpp>
#include <string>

#include "core/Job.h"
#include "ml/prior/PriorConfig.h"
#include "scene/Scene.h"

namespace waft::engine::prior {

struct PredictParams {
    SamplerParams sampler;
    bool loop = false;  // motion self-guidance (GID eq. 5) for a seamless loop
    ComputeOptions compute;
};

// Predicts a spectral volume for one photo: DDIM (+ CFG, + self-guidance through the VAE decoder when
// looping), decode, inverse normalisation. The model works at its training size; the scene keeps the photo
// at its own size with the motion resampled to it, and the training set's frequencies.
class PredictJob : public Job {
public:
    PredictJob(cv::Mat image, std::string priorPath, std::string vaePath, PredictParams params)
        : m_image(std::move(image)),
          m_priorPath(std::move(priorPath)),
          m_vaePath(std::move(vaePath)),
          m_params(params) {}
    std::string name() const override { return "predict motion"; }
    JobLane lane() const override { return JobLane::Compute; }
    Status run(Progress& progress, const CancelToken& cancel) override;
    std::shared_ptr<Scene> result() const { return m_scene; }

private:
    cv::Mat m_image;
    std::string m_priorPath, m_vaePath;
    PredictParams m_params;
    std::shared_ptr<Scene> m_scene;
};

}  // namespace waft::engine::prior
