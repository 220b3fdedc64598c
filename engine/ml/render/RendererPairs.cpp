#include "ml/render/RendererPairs.h"

#include <cmath>
#include <filesystem>
#include <opencv2/imgproc.hpp>

#include "io/VideoReader.h"
#include "ml/prior/TrainingData.h"
#include "raster/SoftmaxSplatter.h"

namespace waft::engine::render {

torch::Tensor bgrToTensor(const cv::Mat& bgr8) {
    cv::Mat rgb;
    cv::cvtColor(bgr8, rgb, cv::COLOR_BGR2RGB);
    rgb.convertTo(rgb, CV_32FC3, 1.0 / 255.0);
    return torch::from_blob(rgb.data, {rgb.rows, rgb.cols, 3}, torch::kFloat32).permute({2, 0, 1}).clone();
}

cv::Mat tensorToBgr8(const torch::Tensor& rgb) {
    const torch::Tensor t = (rgb.detach().to(torch::kCPU, torch::kFloat32).clamp(0, 1) * 255.0)
                                .round()
                                .to(torch::kUInt8)
                                .permute({1, 2, 0})
                                .contiguous();
    cv::Mat out(int(t.size(0)), int(t.size(1)), CV_8UC3, t.data_ptr());
    cv::Mat bgr;
    cv::cvtColor(out, bgr, cv::COLOR_RGB2BGR);
    return bgr;
}

Expected<RendererPair> makeRendererPair(const cv::Mat& reference, const cv::Mat& target, FlowEstimator& estimator) {
    if (reference.size() != target.size() || reference.cols % 16 || reference.rows % 16)
        return Status::invalid("renderer pair frames must share a size that is a multiple of 16");
    auto flow = estimator.compute(reference, target);
    if (!flow) return flow.status();
    const int w = reference.cols, h = reference.rows;
    DisplacementField field;
    field.resize(w, h);
    std::vector<float> magnitude(field.size());
    for (int y = 0; y < h; ++y) {
        const cv::Vec2f* row = flow->ptr<cv::Vec2f>(y);
        for (int x = 0; x < w; ++x) {
            const size_t i = size_t(y) * w + x;
            field.dx[i] = row[x][0];
            field.dy[i] = row[x][1];
            magnitude[i] = std::hypot(row[x][0], row[x][1]);
        }
    }
    RendererPair p;
    const std::vector<float> weights = SoftmaxSplatter::splatWeights(magnitude);
    cv::Mat rgb;
    cv::cvtColor(reference, rgb, cv::COLOR_BGR2RGB);
    rgb.convertTo(rgb, CV_32FC3, 1.0 / 255.0);
    SoftmaxSplatter splatter;
    cv::Mat baseline;
    WAFT_RETURN_IF_ERROR(splatter.splat(rgb, field, weights, baseline));
    p.baseline = torch::from_blob(baseline.data, {h, w, 3}, torch::kFloat32).permute({2, 0, 1}).clone();
    p.reference = torch::from_blob(rgb.data, {h, w, 3}, torch::kFloat32).permute({2, 0, 1}).clone();
    p.target = bgrToTensor(target);
    p.flow = torch::stack({torch::from_blob(field.dx.data(), {h, w}, torch::kFloat32),
                           torch::from_blob(field.dy.data(), {h, w}, torch::kFloat32)})
                 .clone();
    p.weights = torch::from_blob(const_cast<float*>(weights.data()), {1, h, w}, torch::kFloat32).clone();
    return p;
}

Expected<std::vector<RendererPair>> rendererPairsFromVideo(const std::string& path, const RendererPairParams& params,
                                                           Progress& progress, float progressBegin, float progressEnd,
                                                           const CancelToken& cancel) {
    if (!(params.from >= 0.0 && params.from < params.to && params.to <= 1.0))
        return Status::invalid("pair range must satisfy 0 <= from < to <= 1");
    if (params.minGap < 1 || params.maxGap < params.minGap || params.maxGap > 64)
        return Status::invalid("pair gaps must satisfy 1 <= min <= max <= 64");
    if (params.pairsPerClip < 1 || params.pairsPerClip > 4096) return Status::invalid("pairs per clip: 1..4096");
    if (params.maxLongSide < 32 || params.maxLongSide > 1024) return Status::invalid("max side: 32..1024");
    DecodeParams decode;
    decode.maxFrames = 1500;  // the longest part of a clip a pair set reads: at most 1500 × 1024² × 3 bytes
    decode.maxLongSide = params.maxLongSide;
    const float middle = progressBegin + 0.3f * (progressEnd - progressBegin);
    auto clip = decodeVideo(path, decode, Progress::Range(progress, progressBegin, middle), cancel);
    Progress::Range flowProgress(progress, middle, progressEnd);
    if (!clip) return clip.status();
    const int n = int(clip->frames.size());
    const int begin = int(std::floor(params.from * n)), end = int(std::floor(params.to * n));
    if (end - begin < params.minGap + 1)
        return Status::invalid(path + ": too few frames in the pair range (" + std::to_string(end - begin) + ")");
    const cv::Size size(clip->frames[0].cols / 16 * 16, clip->frames[0].rows / 16 * 16);
    if (size.width < 16 || size.height < 16) return Status::invalid(path + ": frames too small for the renderer");
    const auto frame = [&](int i) { return clip->frames[size_t(i)](cv::Rect(0, 0, size.width, size.height)); };
    FlowEstimator estimator(params.flow);
    std::vector<RendererPair> pairs;
    const int gaps = params.maxGap - params.minGap + 1;
    // 12 floats per pixel a pair (reference, target, baseline, flow, weights).
    const int64_t bytesPerPair = int64_t(size.width) * size.height * 12 * 4;
    if (bytesPerPair * params.pairsPerClip > kMaxPairBytes)
        return Status::invalid(path + ": " + std::to_string(params.pairsPerClip) +
                               " pairs of this size need more than 6 GiB; use fewer pairs or a smaller --max-side");
    for (int k = 0; k < params.pairsPerClip; ++k) {
        if (cancel.isCancelled()) return Status::cancelled();
        int gap = params.minGap + k % gaps;
        gap = std::min(gap, end - begin - 1);
        const int from = begin + int(int64_t(k) * (end - begin - gap) / params.pairsPerClip);
        if (from + gap >= end) continue;
        auto pair = makeRendererPair(frame(from), frame(from + gap), estimator);
        if (!pair) return pair.status().withContext(path);
        pair->clip = std::filesystem::path(path).filename().string();
        pair->from = from;
        pair->to = from + gap;
        pairs.push_back(std::move(*pair));
        flowProgress.report(float(k + 1) / float(params.pairsPerClip), "flow of renderer pairs");
    }
    return pairs;
}

int64_t pairBytes(const RendererPair& p) {
    int64_t n = 0;
    for (const torch::Tensor* t : {&p.reference, &p.target, &p.baseline, &p.flow, &p.weights}) n += t->numel() * 4;
    return n;
}

std::vector<std::string> videosIn(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& p : prior::filesIn(dir, {".avi", ".mp4", ".mov", ".mkv", ".webm", ".m4v"}))
        out.push_back(p.string());
    return out;
}

}  // namespace waft::engine::render
