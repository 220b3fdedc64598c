// The motion prior on CUDA (GoogleTest, no Qt: this is what runs on the GPU machine). Skipped, and reported as
// skipped, where LibTorch has no GPU.
#include "PriorTestModels.h"
#include "ml/prior/Compute.h"
#include "ml/prior/MotionModels.h"

#include <gtest/gtest.h>

using namespace waft::engine::prior;
using waft::test::randomize;
using waft::test::runUNet;
using waft::test::tinyUNet;

// The same UNet on CUDA matches the CPU in fp32; bf16 on CUDA stays close.
TEST(MotionPriorCuda, UNetMatchesTheCpu) {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device in this LibTorch";
    DenoiserUNet net(tinyUNet(true));
    randomize(*net, 6);
    net->eval();
    torch::NoGradGuard noGrad;
    const torch::Tensor x = torch::randn({8, 4, 8, 8});
    const torch::Tensor cpu = runUNet(net, x, 4);
    net->to(torch::kCUDA);
    const torch::Tensor t = torch::full({8}, 500, torch::TensorOptions(torch::kLong).device(torch::kCUDA));
    const torch::Tensor f = torch::arange(4, torch::TensorOptions(torch::kLong).device(torch::kCUDA)).repeat({2});
    const torch::Tensor cond = torch::ones({8, 4, 8, 8}, torch::kCUDA);
    const torch::Tensor gpu = net->forward(x.to(torch::kCUDA), t, f, cond, 4).cpu();
    EXPECT_TRUE(torch::allclose(cpu, gpu, 1e-3, 1e-4));
    torch::Tensor bf16;
    {
        AutocastScope scope(*resolveCompute({ComputeDevice::Cuda, Precision::Bf16}, false));
        bf16 = net->forward(x.to(torch::kCUDA), t, f, cond, 4).to(torch::kCPU, torch::kFloat32);
    }
    EXPECT_LT(((bf16 - cpu).norm() / cpu.norm()).item<float>(), 0.05f);
}
