#include "ml/render/RendererPairs.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <opencv2/imgproc.hpp>
#include <random>

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

Status splatBaseline(RendererPair& p) {
    const auto is = [](const torch::Tensor& t, int64_t channels) {
        return t.defined() && t.dim() == 3 && t.size(0) == channels && t.scalar_type() == torch::kFloat32 &&
               t.device().is_cpu();
    };
    if (!is(p.reference, 3) || !is(p.flow, 2) || p.flow.size(1) != p.reference.size(1) ||
        p.flow.size(2) != p.reference.size(2))
        return Status::invalid("a renderer pair needs a [3, H, W] frame and a [2, H, W] flow (float, CPU)");
    const int h = int(p.reference.size(1)), w = int(p.reference.size(2));
    const torch::Tensor flow = p.flow.contiguous();
    DisplacementField field;
    field.resize(w, h);
    std::memcpy(field.dx.data(), flow[0].data_ptr<float>(), field.size() * sizeof(float));
    std::memcpy(field.dy.data(), flow[1].data_ptr<float>(), field.size() * sizeof(float));
    std::vector<float> magnitude(field.size());
    for (size_t i = 0; i < magnitude.size(); ++i) magnitude[i] = std::hypot(field.dx[i], field.dy[i]);
    const std::vector<float> weights = SoftmaxSplatter::splatWeights(magnitude);
    const torch::Tensor hwc = p.reference.permute({1, 2, 0}).contiguous();
    const cv::Mat rgb(h, w, CV_32FC3, hwc.data_ptr<float>());
    SoftmaxSplatter splatter;
    cv::Mat baseline;
    WAFT_RETURN_IF_ERROR(splatter.splat(rgb, field, weights, baseline));
    p.baseline = torch::from_blob(baseline.data, {h, w, 3}, torch::kFloat32).permute({2, 0, 1}).clone();
    p.weights = torch::from_blob(const_cast<float*>(weights.data()), {1, h, w}, torch::kFloat32).clone();
    return Status::ok();
}

Expected<RendererPair> makeRendererPair(const cv::Mat& reference, const cv::Mat& target, FlowEstimator& estimator) {
    if (reference.size() != target.size() || reference.cols % 16 || reference.rows % 16)
        return Status::invalid("renderer pair frames must share a size that is a multiple of 16");
    auto flow = estimator.compute(reference, target);
    if (!flow) return flow.status();
    if (flow->size() != reference.size() || flow->type() != CV_32FC2)
        return Status::error(StatusCode::Internal, "optical flow of another size or type");
    if (!flow->isContinuous()) *flow = flow->clone();
    RendererPair p;
    p.reference = bgrToTensor(reference);
    p.target = bgrToTensor(target);
    // [H, W, 2] -> [2, H, W]
    p.flow = torch::from_blob(flow->data, {reference.rows, reference.cols, 2}, torch::kFloat32)
                 .permute({2, 0, 1})
                 .contiguous();
    WAFT_RETURN_IF_ERROR(splatBaseline(p));
    return p;
}

namespace {

// A blob of two overlapping rotated ellipses: [1, H, W], 1 inside.
torch::Tensor blobMask(int w, int h, const float (&centre)[2][2], const float (&axes)[2][2], const float (&angle)[2]) {
    const torch::Tensor ys = torch::arange(h, torch::kFloat32).view({h, 1}).expand({h, w});
    const torch::Tensor xs = torch::arange(w, torch::kFloat32).view({1, w}).expand({h, w});
    torch::Tensor inside = torch::zeros({h, w}, torch::kBool);
    for (int e = 0; e < 2; ++e) {
        const float c = std::cos(angle[e]), s = std::sin(angle[e]);
        const torch::Tensor u = (xs - centre[e][0]) * c + (ys - centre[e][1]) * s;
        const torch::Tensor v = (ys - centre[e][1]) * c - (xs - centre[e][0]) * s;
        inside = inside.logical_or((u / axes[e][0]).pow(2) + (v / axes[e][1]).pow(2) <= 1.0);
    }
    return inside.to(torch::kFloat32).unsqueeze(0);
}

}  // namespace

Expected<std::vector<RendererPair>> syntheticLayeredPairs(const std::vector<RendererPair>& real, int count,
                                                          uint64_t seed, const CancelToken& cancel) {
    if (count < 0 || count > kMaxSyntheticPairs)
        return Status::invalid("synthetic pairs: at most " + std::to_string(kMaxSyntheticPairs) + ", asked for " +
                               std::to_string(count) + " (use a smaller --synthetic)");
    std::vector<RendererPair> out;
    if (count == 0) return out;
    if (real.empty()) return Status::invalid("synthetic pairs need real pairs to cut them from");
    std::mt19937_64 rng(seed);
    const auto uniform = [&](double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng); };
    const auto index = [&](size_t n) { return size_t(std::uniform_int_distribution<uint64_t>(0, n - 1)(rng)); };
    // A bounded number of draws: a draw is dropped when the pair's own motion is too fast for a patch to outrun it,
    // or the blob and its move do not fit the frame.
    int tooFast = 0, tooBig = 0;
    std::vector<float> fastestOf(real.size(), -1.0f);  // each pair's 99th percentile speed, once
    for (int attempt = 0; int(out.size()) < count && attempt < 8 * count; ++attempt) {
        if (cancel.isCancelled()) return Status::cancelled();
        const RendererPair& base = real[index(real.size())];
        const RendererPair& source = real[index(real.size())];
        const int h = int(base.reference.size(1)), w = int(base.reference.size(2));
        // The patch's texture: the source's reference at the base's size, its content shifted anywhere.
        torch::Tensor texture = source.reference;
        if (texture.size(1) != h || texture.size(2) != w) {
            namespace F = torch::nn::functional;
            auto resize = F::InterpolateFuncOptions().size(std::vector<int64_t>{h, w}).mode(torch::kBilinear);
            texture = F::interpolate(texture.unsqueeze(0), resize.align_corners(false)).squeeze(0);
        }
        texture = torch::roll(texture, {int64_t(index(size_t(h))), int64_t(index(size_t(w)))}, {1, 2});
        // In front of everything the pair moves: the patch outruns the 99th percentile of the pair's motion
        // (SoftmaxSplatter::splatWeights' reference) by half again, so its splat weight is e^3.3 times that of any
        // pixel below the percentile (the fastest 1% may still splat in front of it).
        float& fastest = fastestOf[size_t(&base - real.data())];
        if (fastest < 0.0f) {
            const torch::Tensor speed = base.flow.pow(2).sum(0).sqrt().flatten();
            fastest =
                std::get<0>(speed.kthvalue(std::max<int64_t>(1, int64_t(0.99 * double(speed.numel()))))).item<float>();
        }
        const double angle = uniform(0.0, 2.0 * M_PI), length = std::max(uniform(2.0, 12.0), 1.5 * fastest + 1.5);
        const int dx = int(std::lround(length * std::cos(angle))), dy = int(std::lround(length * std::sin(angle)));
        if (std::hypot(dx, dy) < 1.5 * fastest + 1.0 || std::hypot(dx, dy) > 24.0) {
            ++tooFast;
            continue;
        }
        // Two ellipses of 6-20% of the frame's sides each, the second's centre within the first; the blob's box
        // and its box moved by (dx, dy) stay 2 px inside the frame.
        float centre[2][2], axes[2][2], angles[2];
        for (int e = 0; e < 2; ++e) {
            axes[e][0] = float(uniform(0.06, 0.2) * w);
            axes[e][1] = float(uniform(0.06, 0.2) * h);
            angles[e] = float(uniform(0.0, M_PI));
        }
        const float reachX = std::max(axes[0][0], axes[0][1]) + std::max(axes[1][0], axes[1][1]);
        const float reachY = reachX;  // a rotated ellipse's box is within its longest axis
        const float loX = 2 + reachX + float(std::max(0, -dx)), hiX = float(w) - 2 - reachX - float(std::max(0, dx));
        const float loY = 2 + reachY + float(std::max(0, -dy)), hiY = float(h) - 2 - reachY - float(std::max(0, dy));
        if (loX >= hiX || loY >= hiY) {
            ++tooBig;
            continue;
        }
        centre[0][0] = float(uniform(loX, hiX));
        centre[0][1] = float(uniform(loY, hiY));
        // A point of the first ellipse, in its own axes (u, v), turned by its angle into the frame's.
        const double r = uniform(0.0, 1.0), phi = uniform(0.0, 2.0 * M_PI);
        const double u = r * axes[0][0] * std::cos(phi), v = r * axes[0][1] * std::sin(phi);
        const double c = std::cos(angles[0]), s = std::sin(angles[0]);
        centre[1][0] = centre[0][0] + float(u * c - v * s);
        centre[1][1] = centre[0][1] + float(u * s + v * c);
        const torch::Tensor before = blobMask(w, h, centre, axes, angles);
        const torch::Tensor after = torch::roll(before, {dy, dx}, {1, 2});
        RendererPair p;
        p.reference = base.reference * (1 - before) + texture * before;
        p.target = base.target * (1 - after) + torch::roll(texture, {dy, dx}, {1, 2}) * after;
        p.flow = base.flow * (1 - before) + torch::tensor({float(dx), float(dy)}).view({2, 1, 1}) * before;
        WAFT_RETURN_IF_ERROR(splatBaseline(p));
        p.clip = base.clip + " (synthetic)";
        p.from = base.from;
        p.to = base.to;
        out.push_back(std::move(p));
    }
    if (int(out.size()) < count)
        return Status::invalid("synthetic pairs: " + std::to_string(out.size()) + " of " + std::to_string(count) +
                               " placed in " + std::to_string(8 * count) + " draws (" + std::to_string(tooFast) +
                               " where the clips move too fast for a patch to move in front of them, " +
                               std::to_string(tooBig) + " where the frame is too small for the patch's move)");
    return out;
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
        const bool back = params.backward && k % 2 == 1;
        const int reference = back ? from + gap : from, target = back ? from : from + gap;
        auto pair = makeRendererPair(frame(reference), frame(target), estimator);
        if (!pair) return pair.status().withContext(path);
        pair->clip = std::filesystem::path(path).filename().string();
        pair->from = reference;
        pair->to = target;
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
