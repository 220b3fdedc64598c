// train-t2v at test size: the three stages write SD single files that load back (the video one inflated, with
// its temporal layers), a run cut after some steps and resumed equals a run that never stopped, and the
// benchmark samples and scores held-out captions. GoogleTest, no Qt.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "TestSupport.h"
#include "ml/JobSpecs.h"
#include "ml/sd/SdModelFiles.h"
#include "ml/sd/T2vBenchmark.h"
#include "ml/sd/TrainT2vJob.h"

using namespace waft::engine;
using namespace waft::engine::sd;
namespace fs = std::filesystem;

namespace {

T2vRunParams tinyRun() {
    T2vRunParams p;
    p.clip = {16, 16, 4};
    p.vaeSteps = 2;
    p.imageSteps = 2;
    p.videoSteps = 2;
    p.batch = 2;
    p.checkpointEvery = 0;
    p.compute.device = prior::ComputeDevice::Cpu;
    return p;
}

Status train(const std::string& dir, const T2vRunParams& p) {
    TrainT2vJob job(dir, p);
    Progress progress;
    return job.run(progress, CancelToken());
}

std::string bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace

TEST(TrainT2v, StagesWriteLoadableModelsAndResumeExactly) {
    const fs::path dir = waft::test::tempDir("t2v");
    T2vRunParams p = tinyRun();
    ASSERT_TRUE(train((dir / "cut").string(), p).isOk());
    for (const char* stage : {"vae", "image", "video"}) {
        auto files = openSdModel(TrainT2vJob::stagePath((dir / "cut").string(), stage));
        ASSERT_TRUE(files.hasValue()) << stage << ": " << files.status().message();
        EXPECT_EQ(files->temporal, std::string(stage) == "video") << stage;
        EXPECT_NE(files->config.vae.scalingFactor, 1.0f);  // set from the trained VAE's latents
    }
    // Cut after 2 video steps, resumed to 4, equals 4 straight (checkpointing on the way changes nothing).
    p.videoSteps = 4;
    p.resume = true;
    ASSERT_TRUE(train((dir / "cut").string(), p).isOk());
    p.resume = false;
    p.checkpointEvery = 2;
    ASSERT_TRUE(train((dir / "straight").string(), p).isOk());
    EXPECT_EQ(bytes(TrainT2vJob::stagePath((dir / "cut").string(), "video")),
              bytes(TrainT2vJob::stagePath((dir / "straight").string(), "video")));
    // A finished run is not trained again.
    TrainT2vJob again((dir / "straight").string(), p);
    Progress progress;
    ASSERT_TRUE(again.run(progress, CancelToken()).isOk());
    EXPECT_NE(again.summary().find("already trained"), std::string::npos) << again.summary();
    // The journal's spec rebuilds the job.
    const auto spec = again.resumeSpec();
    ASSERT_TRUE(spec.has_value());
    EXPECT_TRUE(jobFromSpec(*spec).hasValue());

    T2vBenchParams bench;
    bench.model = TrainT2vJob::stagePath((dir / "straight").string(), "video");
    bench.samples = 2;
    bench.steps = 2;
    bench.clip = p.clip;
    bench.compute.device = prior::ComputeDevice::Cpu;
    T2vBenchJob job(bench);
    const Status s = job.run(progress, CancelToken());
    ASSERT_TRUE(s.isOk()) << s.message();
    EXPECT_EQ(job.result().samples, 2);
    EXPECT_NE(job.result().table().find("| path right | 2 |"), std::string::npos) << job.result().table();
}

TEST(TrainT2v, BadRunsAreOneLine) {
    const fs::path dir = waft::test::tempDir("t2v-bad");
    T2vRunParams p = tinyRun();
    p.clip.width = 20;
    EXPECT_NE(train(dir.string(), p).message().find("multiples of 8"), std::string::npos);
    p = tinyRun();
    p.batch = 1;
    EXPECT_NE(train(dir.string(), p).message().find("batch"), std::string::npos);
}
