#include "jobs/WebPageJob.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <random>

#include "dynamics/ModalSimulator.h"
#include "encode/WebText.h"
#include "io/SafetensorsWriter.h"
#include "jobs/SceneAnimator.h"
#include "motion/LoopPlanner.h"
#include "raster/FrameRenderer.h"

extern "C" {
extern const char waft_web_player_html[];
extern const char waft_web_player_html_end[];
extern const char waft_web_player_js[];
extern const char waft_web_player_js_end[];
}

namespace waft::engine {

std::string webPlayerHtml() { return std::string(waft_web_player_html, waft_web_player_html_end); }
std::string webPlayerScript() { return std::string(waft_web_player_js, waft_web_player_js_end); }

namespace {

constexpr int kFallbackSide = 360;  // the fallback loop's long side
constexpr float kFallbackFps = 12.0f;
constexpr float kLoopPlanFps = 30.0f;  // the app plans its loop at 30 fps (SceneController): so does the page

// Node i of an axis sits at min(i * stride, side - 1): nodes 0..n-1 with (n - 1) * stride >= side - 1, the
// grid FastFrameRenderer interpolates with Catmull-Rom.
int nodeCount(int side, int stride) { return (std::max(side, 1) - 1 + stride - 1) / stride + 1; }

// Rows of 8-bit values, each row coded as differences from its left neighbour (mod 256, the first from 128):
// smooth fields become runs of small numbers that deflate well.
void appendDeltaRow(const uint8_t* row, int count, std::vector<uint8_t>& out) {
    uint8_t previous = 128;
    for (int i = 0; i < count; ++i) {
        out.push_back(uint8_t(row[i] - previous));
        previous = row[i];
    }
}

Expected<std::vector<uint8_t>> deflateBytes(const std::vector<uint8_t>& in) {
    uLongf size = compressBound(uLong(in.size()));
    std::vector<uint8_t> out(size);
    if (compress2(out.data(), &size, in.data(), uLong(in.size()), 9) != Z_OK)
        return Status::error(StatusCode::Internal, "deflate failed");
    out.resize(size);
    return out;
}

Expected<std::vector<uint8_t>> readWholeFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return Status::io("cannot read " + path);
    return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void replaceOnce(std::string& text, const std::string& key, const std::string& value) {
    const size_t at = text.find(key);
    if (at != std::string::npos) text.replace(at, key.size(), value);
}

}  // namespace

WebPageJob::WebPageJob(std::shared_ptr<const Scene> scene, std::string outputPath, WebPageParams params)
    : m_scene(std::move(scene)), m_outputPath(std::move(outputPath)), m_params(params) {}

std::string WebPageJob::summary() const {
    char line[200];
    std::snprintf(line, sizeof line, "%dx%d, %d bands, %.1f s loop, %.2f MB (photo %.2f, motion %.2f, fallback %.2f)",
                  m_report.width, m_report.height, m_report.bands, double(m_report.loopSec),
                  double(m_report.totalBytes) / 1e6, double(m_report.photoBytes) / 1e6,
                  double(m_report.volumeBytes) / 1e6, double(m_report.fallbackBytes) / 1e6);
    return line;
}

Status WebPageJob::run(Progress& progress, const CancelToken& cancel) {
    if (!m_scene) return Status::invalid("no scene to export");
    const Scene& scene = *m_scene;
    WAFT_RETURN_IF_ERROR(scene.validate());
    const WebPageParams& p = m_params;
    if (p.quality < 1 || p.quality > 100) return Status::invalid("--quality must be 1..100");
    if (p.nodeStride != 2 && p.nodeStride != 4 && p.nodeStride != 8)
        return Status::invalid("--stride (the motion samples' spacing) must be 2, 4 or 8");
    if (p.bands < 0 || p.bands > kMaxBands) return Status::invalid("--bands must be 0.." + std::to_string(kMaxBands));
    if (p.width < 0 || p.height < 0 || p.width > kWebMaxSide || p.height > kWebMaxSide)
        return Status::invalid("a web page renders at most " + std::to_string(kWebMaxSide) + " pixels a side");
    int width = p.width, height = p.height;
    if (width == 0 && height == 0) {
        const double fit = std::min(1.0, double(kWebDefaultSide) / std::max(scene.volume.width, scene.volume.height));
        width = std::max(2, int(std::lround(scene.volume.width * fit)));
        height = std::max(2, int(std::lround(scene.volume.height * fit)));
    }
    auto size = outputSize(scene.volume, width, height);
    if (!size) return size.status();
    if (size->width > kWebMaxSide || size->height > kWebMaxSide || size->width < 8 || size->height < 8)
        return Status::invalid("a web page renders 8.." + std::to_string(kWebMaxSide) + " pixels a side, not " +
                               std::to_string(size->width) + "x" + std::to_string(size->height));
    SpectralVolume storage;
    if (size->width != scene.volume.width || size->height != scene.volume.height)
        storage = scene.volume.resized(size->width, size->height);
    const SpectralVolume& volume = storage.bands > 0 ? storage : scene.volume;
    const int w = volume.width, h = volume.height;
    const size_t pixels = size_t(w) * size_t(h);

    // The bands that move, ranked by mean |S_j|^2.
    std::vector<std::pair<double, int>> energy;
    for (int j = 0; j < volume.bands; ++j) {
        double sum = 0.0;
        for (int c = 0; c < 4; ++c) {
            const float* plane = volume.plane(j, c);
            for (size_t i = 0; i < pixels; ++i) sum += double(plane[i]) * plane[i];
        }
        if (sum / double(pixels) > 1e-8) energy.push_back({sum / double(pixels), j});
    }
    if (energy.empty())
        return Status::invalid(
            "nothing in this scene moves (every band's motion is zero): there is nothing to make "
            "interactive");
    std::sort(energy.begin(), energy.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    if (p.bands > 0 && size_t(p.bands) < energy.size()) energy.resize(size_t(p.bands));
    std::vector<int> kept;
    for (const auto& e : energy) kept.push_back(e.second);
    std::sort(kept.begin(), kept.end());
    // A page a browser can hold: its motion samples are one byte each, before deflate.
    const size_t samples = (kept.size() * 4 + 1) * size_t(nodeCount(w, p.nodeStride)) * nodeCount(h, p.nodeStride);
    if (samples > kWebMaxMotionBytes)
        return Status::invalid("the page's motion would be " + std::to_string(samples >> 20) + " MiB (at most " +
                               std::to_string(kWebMaxMotionBytes >> 20) +
                               "): use a smaller --size, fewer --bands or --stride 8");
    if (cancel.isCancelled()) return Status::cancelled();
    progress.report(0.02f, "motion");

    // The loop, planned as AnimateJob and the app plan it.
    const float loopSec = defaultLoopSec(scene.volume, scene.settings);
    if (!(loopSec > 0.0f && loopSec <= 600.0f)) return Status::invalid("the scene's loop must be in (0, 600] s");
    std::vector<float> freqs = volume.frequenciesHz;
    for (float& f : freqs) f *= scene.settings.speed;
    const LoopPlan plan = planLoop(volume, freqs, loopSec, kLoopPlanFps);
    ModalParams modal;
    modal.dampingRatio = scene.settings.dampingRatio;
    modal.speed = scene.settings.speed;
    const ModalSimulator simulator(volume, modal);

    // Mode shapes at the nodes, 8 bits per band and channel.
    const int stride = p.nodeStride;
    const int nx = nodeCount(w, stride), ny = nodeCount(h, stride);
    std::vector<uint8_t> raw;
    raw.reserve(kept.size() * 4 * size_t(nx) * ny);
    std::vector<uint8_t> row(static_cast<size_t>(nx));
    nlohmann::json bands = nlohmann::json::array();
    for (int j : kept) {
        nlohmann::json band;
        band["index"] = j;
        band["hz"] = volume.frequenciesHz[size_t(j)] * scene.settings.speed;  // the oscillator's
        band["loopHz"] = plan.frequenciesHz[size_t(j)];
        float gain = scene.settings.globalGain;
        if (size_t(j) < scene.settings.bandGains.size()) gain *= scene.settings.bandGains[size_t(j)];
        band["gain"] = gain;
        nlohmann::json scales = nlohmann::json::array();
        for (int c = 0; c < 4; ++c) {
            const float* plane = volume.plane(j, c);
            float peak = 0.0f;
            for (int yi = 0; yi < ny; ++yi)
                for (int xi = 0; xi < nx; ++xi)
                    peak = std::max(
                        peak,
                        std::abs(
                            plane[size_t(std::min(yi * stride, h - 1)) * w + size_t(std::min(xi * stride, w - 1))]));
            const float scale = peak > 0.0f ? peak / 127.0f : 1.0f;
            scales.push_back(scale);
            for (int yi = 0; yi < ny; ++yi) {
                const float* src = plane + size_t(std::min(yi * stride, h - 1)) * w;
                for (int xi = 0; xi < nx; ++xi)
                    row[size_t(xi)] = uint8_t(
                        128 + int(std::lround(std::clamp(src[std::min(xi * stride, w - 1)] / scale, -127.0f, 127.0f))));
                appendDeltaRow(row.data(), nx, raw);
            }
        }
        band["scale"] = scales;
        bands.push_back(band);
        if (cancel.isCancelled()) return Status::cancelled();
    }
    // The scene's splat weights W = exp(z - 20), z in [0, 20] (SoftmaxSplatter::splatWeights).
    const std::vector<float> weights = sceneSplatWeights(volume);
    const float zStep = 20.0f / 255.0f;
    for (int yi = 0; yi < ny; ++yi) {
        for (int xi = 0; xi < nx; ++xi) {
            const float wv = weights[size_t(std::min(yi * stride, h - 1)) * w + size_t(std::min(xi * stride, w - 1))];
            const float z = std::clamp(std::log(std::max(wv, 1e-30f)) + 20.0f, 0.0f, 20.0f);
            row[size_t(xi)] = uint8_t(std::lround(z / zStep));
        }
        appendDeltaRow(row.data(), nx, raw);
    }
    auto packed = deflateBytes(raw);
    if (!packed) return packed.status();
    progress.report(0.1f, "motion");

    // The photo.
    std::vector<uint8_t> jpeg;
    if (!cv::imencode(".jpg", volume.reference, jpeg, {cv::IMWRITE_JPEG_QUALITY, p.quality}))
        return Status::io("cannot encode the photo as JPEG");
    if (cancel.isCancelled()) return Status::cancelled();

    // The fallback loop: the same loop, small, as animated WebP, rendered by the export job.
    std::vector<uint8_t> fallback;
    if (p.fallback) {
        std::random_device seed;
        const std::filesystem::path temp =
            std::filesystem::temp_directory_path() / ("waft-web-fallback-" + std::to_string(seed()) + ".webp");
        AnimateParams loop;
        loop.fps = kFallbackFps;
        const double fit = double(kFallbackSide) / std::max(w, h);
        loop.width = std::max(2, int(std::lround(w * std::min(1.0, fit))));
        loop.height = std::max(2, int(std::lround(h * std::min(1.0, fit))));
        loop.encode.quality = ExportQuality::Draft;
        // Removed however this scope ends (a failure, a cancel, an exception).
        struct RemoveAtExit {
            std::filesystem::path path;
            ~RemoveAtExit() {
                std::error_code ignored;
                std::filesystem::remove(path, ignored);
            }
        } removeTemp{temp};
        AnimateJob job(scene, temp.string(), loop);
        Progress sub([&progress](float f, const std::string&) { progress.report(0.1f + 0.8f * f, "fallback loop"); });
        WAFT_RETURN_IF_ERROR(job.run(sub, cancel));
        auto bytes = readWholeFile(temp.string());
        if (!bytes) return bytes.status();
        fallback = std::move(*bytes);
    }
    progress.report(0.92f, "page");

    nlohmann::json data;
    data["format"] = "waft-web";
    data["version"] = 1;
    data["width"] = w;
    data["height"] = h;
    data["stride"] = stride;
    data["nodesX"] = nx;
    data["nodesY"] = ny;
    data["bands"] = bands;
    data["zStep"] = zStep;
    data["loopSec"] = loopSec;
    data["startSec"] = plan.startSec;
    data["damping"] = modal.dampingRatio;
    data["holdDamping"] = modal.holdDampingRatio;
    data["mobilityFloor"] = modal.mobilityFloor;
    data["referenceMobility"] = simulator.referenceMobility();
    data["volume"] = base64(*packed);
    data["photo"] = base64(jpeg);
    data["fallback"] = base64(fallback);
    // JSON inside <script>: no "</" may end the element early (base64 and numbers have none; be sure).
    std::string json = data.dump();
    for (size_t at = json.find("</"); at != std::string::npos; at = json.find("</", at + 3)) json.insert(at + 1, "\\");

    const std::string script = webPlayerScript();
    const auto digest = sha256(script.data(), script.size());
    // Nothing may load from anywhere: the one script by its hash, inline styles, images decoded from blobs.
    const std::string csp = "default-src 'none'; script-src 'sha256-" + base64(digest.data(), digest.size()) +
                            "'; style-src 'unsafe-inline'; img-src blob:; base-uri 'none'; form-action 'none'";
    std::string html = webPlayerHtml();
    replaceOnce(html, "%%CSP%%", csp);
    replaceOnce(html, "%%SCRIPT%%", script);
    replaceOnce(html, "%%SCENE%%", json);  // last: the data must not be searched for the other keys
    if (cancel.isCancelled()) return Status::cancelled();
    WAFT_RETURN_IF_ERROR(writeFileAtomic(m_outputPath, std::vector<uint8_t>(html.begin(), html.end())));

    m_report.width = w;
    m_report.height = h;
    m_report.bands = int(kept.size());
    m_report.nodesX = nx;
    m_report.nodesY = ny;
    m_report.loopSec = loopSec;
    m_report.totalBytes = html.size();
    m_report.photoBytes = (jpeg.size() + 2) / 3 * 4;
    m_report.volumeBytes = (packed->size() + 2) / 3 * 4;
    m_report.fallbackBytes = (fallback.size() + 2) / 3 * 4;
    progress.report(1.0f, "page");
    return Status::ok();
}

}  // namespace waft::engine
