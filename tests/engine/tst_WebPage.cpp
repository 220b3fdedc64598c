// The web page export (WebPageJob): SHA-256 and base64 against their standards' vectors; the page's data
// decoded as the player decodes it gives back the engine's mode shapes within the stated quantisation error,
// its loop plan and modal constants; the CSP hash is the embedded script's; scenes with nothing that moves,
// absurd sizes and cancelled runs write nothing and keep an earlier file. Tested in a real browser by
// tests/web/web_test.sh.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "TestSupport.h"
#include "dynamics/ModalSimulator.h"
#include "dynamics/MotionBrush.h"
#include "encode/WebText.h"
#include "jobs/SceneAnimator.h"
#include "jobs/WebPageJob.h"
#include "motion/LoopPlanner.h"

using namespace waft::engine;

namespace {

std::string hex(const std::array<uint8_t, 32>& digest) {
    std::string out;
    char byte[3];
    for (uint8_t b : digest) {
        std::snprintf(byte, sizeof byte, "%02x", b);
        out += byte;
    }
    return out;
}

std::vector<uint8_t> unbase64(const std::string& text) {
    std::vector<uint8_t> out;
    uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        int v = c >= 'A' && c <= 'Z'   ? c - 'A'
                : c >= 'a' && c <= 'z' ? c - 'a' + 26
                : c >= '0' && c <= '9' ? c - '0' + 52
                : c == '+'             ? 62
                : c == '/'             ? 63
                                       : -1;
        if (v < 0) continue;
        acc = acc << 6 | uint32_t(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(uint8_t(acc >> bits));
        }
    }
    return out;
}

std::string readText(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::shared_ptr<const Scene> brushedScene(int w, int h) {
    auto scene = std::make_shared<Scene>();
    MotionBrushParams params;
    params.bands = 8;
    auto volume = motionFromBrush(waft::test::texturedImage(w, h), {{w * 0.3f, h * 0.4f, 0.03f * w, 0.01f * w}},
                                  {{w * 0.8f, h * 0.8f, 0.0f}}, cv::Mat::zeros(h, w, CV_8U), params);
    EXPECT_TRUE(volume.hasValue()) << volume.status().message();
    if (volume.hasValue()) scene->volume = std::move(*volume);
    scene->settings.loopSec = 4.0f;
    scene->settings.bandGains.assign(size_t(scene->volume.bands), 1.0f);
    scene->settings.bandGains[1] = 0.5f;
    return scene;
}

nlohmann::json pageData(const std::string& html) {
    const std::string open = "<script type=\"application/json\" id=\"waft-scene\">";
    const size_t begin = html.find(open);
    const size_t end = html.find("</script>", begin);
    EXPECT_NE(begin, std::string::npos);
    return nlohmann::json::parse(html.substr(begin + open.size(), end - begin - open.size()));
}

}  // namespace

TEST(WebText, Sha256MatchesTheStandardVectors) {
    EXPECT_EQ(hex(sha256("", 0)), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(hex(sha256("abc", 3)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const std::string two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";  // 56 bytes: two tail blocks
    EXPECT_EQ(hex(sha256(two.data(), two.size())), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const std::string million(1000000, 'a');
    EXPECT_EQ(hex(sha256(million.data(), million.size())),
              "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(WebText, Base64MatchesRfc4648) {
    const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                           {"f", "Zg=="},
                                                           {"fo", "Zm8="},
                                                           {"foo", "Zm9v"},
                                                           {"foob", "Zm9vYg=="},
                                                           {"fooba", "Zm9vYmE="},
                                                           {"foobar", "Zm9vYmFy"}};
    for (const auto& [in, out] : vectors) EXPECT_EQ(base64(in, std::strlen(in)), out) << in;
}

TEST(WebPage, DataDecodesToTheEnginesScene) {
    const auto scene = brushedScene(160, 96);
    const std::string dir = waft::test::tempDir("web-page");
    const std::string path = dir + "/scene.html";
    WebPageParams params;
    params.fallback = false;
    WebPageJob job(scene, path, params);
    Progress progress;
    CancelToken cancel;
    ASSERT_TRUE(job.run(progress, cancel).isOk());
    const std::string html = readText(path);
    EXPECT_EQ(job.report().totalBytes, html.size());

    // The policy allows the one script, by its hash, and nothing from anywhere.
    const std::string script = webPlayerScript();
    const auto digest = sha256(script.data(), script.size());
    EXPECT_NE(html.find("script-src 'sha256-" + base64(digest.data(), digest.size()) + "'"), std::string::npos);
    EXPECT_NE(html.find("default-src 'none'"), std::string::npos);
    EXPECT_NE(html.find("<script>" + script + "</script>"), std::string::npos);
    EXPECT_EQ(html.find("http://"), std::string::npos);
    EXPECT_EQ(html.find("https://"), std::string::npos);

    const nlohmann::json data = pageData(html);
    const SpectralVolume& v = scene->volume;
    ASSERT_EQ(data["width"], v.width);
    ASSERT_EQ(data["height"], v.height);
    const int stride = data["stride"], nx = data["nodesX"], ny = data["nodesY"];
    EXPECT_EQ(stride, 4);
    EXPECT_GE((nx - 1) * stride, v.width - 1);
    EXPECT_GE((ny - 1) * stride, v.height - 1);
    const auto& bands = data["bands"];
    ASSERT_GT(bands.size(), 0u);

    // Loop plan and modal constants, as the engine computes them.
    std::vector<float> freqs = v.frequenciesHz;
    const LoopPlan plan = planLoop(v, freqs, 4.0f, 30.0f);
    EXPECT_DOUBLE_EQ(data["startSec"].get<double>(), plan.startSec);
    EXPECT_FLOAT_EQ(data["loopSec"].get<float>(), 4.0f);
    const ModalSimulator sim(v);
    EXPECT_DOUBLE_EQ(data["referenceMobility"].get<double>(), sim.referenceMobility());
    EXPECT_FLOAT_EQ(data["damping"].get<float>(), 0.08f);

    // The volume inflates to (bands * 4 + 1) planes of row deltas; each sample is within half a step
    // (scale / 2) of the engine's value at its node.
    const std::vector<uint8_t> packed = unbase64(data["volume"].get<std::string>());
    std::vector<uint8_t> raw((bands.size() * 4 + 1) * size_t(nx) * ny);
    uLongf size = uLongf(raw.size());
    ASSERT_EQ(uncompress(raw.data(), &size, packed.data(), uLong(packed.size())), Z_OK);
    ASSERT_EQ(size, raw.size());
    size_t at = 0;
    for (const auto& band : bands) {
        const int j = band["index"];
        EXPECT_FLOAT_EQ(band["loopHz"].get<float>(), plan.frequenciesHz[size_t(j)]);
        EXPECT_FLOAT_EQ(band["gain"].get<float>(), j == 1 ? 0.5f : 1.0f);
        for (int c = 0; c < 4; ++c) {
            const float scale = band["scale"][c];
            double worst = 0.0;
            for (int y = 0; y < ny; ++y) {
                int value = 128;
                for (int x = 0; x < nx; ++x) {
                    value = (value + raw[at++]) & 255;
                    const float exact = v.plane(
                        j, c)[size_t(std::min(y * stride, v.height - 1)) * v.width + std::min(x * stride, v.width - 1)];
                    worst = std::max(worst, double(std::abs((value - 128) * scale - exact)));
                }
            }
            EXPECT_LE(worst, 0.5 * scale + 1e-6) << "band " << j << " channel " << c;
        }
    }
    EXPECT_EQ(at + size_t(nx) * ny, raw.size());  // the splat weights' plane follows

    const std::vector<uint8_t> jpeg = unbase64(data["photo"].get<std::string>());
    const cv::Mat photo = cv::imdecode(jpeg, cv::IMREAD_COLOR);
    ASSERT_EQ(photo.cols, v.width);
    // JPEG at quality 95 on a detailed crop: a few levels on average (a channel swap would be tens).
    EXPECT_LT(cv::norm(photo, v.reference, cv::NORM_L1) / double(photo.total() * 3), 6.0);
}

TEST(WebPage, FallbackLoopIsAnAnimatedWebp) {
    const auto scene = brushedScene(160, 96);
    const std::string path = waft::test::tempDir("web-fallback") + "/scene.html";
    WebPageJob job(scene, path, {});
    Progress progress;
    CancelToken cancel;
    ASSERT_TRUE(job.run(progress, cancel).isOk());
    const std::vector<uint8_t> webp = unbase64(pageData(readText(path))["fallback"].get<std::string>());
    ASSERT_GT(webp.size(), 100u);
    EXPECT_EQ(std::string(webp.begin(), webp.begin() + 4), "RIFF");
    EXPECT_EQ(std::string(webp.begin() + 8, webp.begin() + 12), "WEBP");
    EXPECT_NE(std::string(webp.begin(), webp.end()).find("ANMF"), std::string::npos);  // animated
    EXPECT_GT(job.report().fallbackBytes, 0u);
}

TEST(WebPage, BadRequestsWriteNothingAndKeepAnEarlierPage) {
    const std::string dir = waft::test::tempDir("web-bad");
    const std::string path = dir + "/earlier.html";
    { std::ofstream(path) << "an earlier page"; }
    auto still = std::make_shared<Scene>();
    still->volume = SpectralVolume::zeros(64, 48, 4);
    still->volume.reference = cv::Mat(48, 64, CV_8UC3, cv::Scalar(90, 120, 60));
    still->settings.loopSec = 2.0f;
    Progress progress;
    CancelToken cancel;
    const auto moving = brushedScene(96, 64);
    struct Case {
        std::shared_ptr<const Scene> scene;
        WebPageParams params;
        const char* needle;
    };
    WebPageParams huge, tiny, quality, stride;
    huge.width = 5000;
    tiny.width = 4;
    tiny.height = 4;
    quality.quality = 0;
    stride.nodeStride = 3;
    for (const Case& c :
         {Case{still, {}, "nothing in this scene moves"}, Case{moving, huge, "4096"}, Case{moving, tiny, "8..4096"},
          Case{moving, quality, "quality"}, Case{moving, stride, "stride"}}) {
        WebPageJob job(c.scene, path, c.params);
        const Status s = job.run(progress, cancel);
        EXPECT_FALSE(s.isOk());
        EXPECT_NE(s.message().find(c.needle), std::string::npos) << s.message();
        EXPECT_EQ(s.message().find('\n'), std::string::npos);
        EXPECT_EQ(readText(path), "an earlier page");
    }
    CancelToken cancelled;
    cancelled.cancel();
    WebPageJob job(moving, path, {});
    EXPECT_EQ(job.run(progress, cancelled).code(), StatusCode::Cancelled);
    EXPECT_EQ(readText(path), "an earlier page");
    size_t files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) files += entry.is_regular_file();
    EXPECT_EQ(files, 1u);
}
