#pragma once

#include <vulkan/vulkan.h>

#include <memory>
#include <vector>

#include "GpuBuffer.h"
#include "Shaders.h"
#include "UniqueHandle.h"
#include "VulkanContext.h"
#include "motion/SpectralVolume.h"
#include "raster/RenderBackend.h"

namespace waft::render {

struct VulkanSplatParams {
    bool forceFixedPoint = false;  // use the integer-atomic path even where float atomics exist (tests)
};

// GID frames on the GPU, the same algorithm as the CPU reference (engine::FrameRenderer) kernel by kernel:
// displacement synthesis, softmax splat (float atomics where VK_EXT_shader_atomic_float has them, else
// fixed point with 32-bit integer atomics after a per-target max pass), normalise, push-pull hole fill,
// 8-bit pack. The scene (coefficients, reference, weights) is uploaded once; each frame only writes the K
// coordinates and submits one pre-recorded command buffer. Offscreen: render() reads the frame back.
// One thread at a time; the volume's size is fixed at creation.
class VulkanSplatRenderer : public engine::RenderBackend {
public:
    static engine::Expected<std::unique_ptr<VulkanSplatRenderer>> create(std::shared_ptr<VulkanContext> context,
                                                                         const engine::SpectralVolume& volume,
                                                                         VulkanSplatParams params = {});
    ~VulkanSplatRenderer() override;

    const char* name() const override { return m_fixedPoint ? "vulkan (integer atomics)" : "vulkan (float atomics)"; }
    engine::Status render(const std::vector<std::complex<float>>& q, cv::Mat& outBgr8) override;
    // Runs the whole per-frame pipeline and waits, without reading back (benchmarks, the viewport).
    engine::Status compute(const std::vector<std::complex<float>>& q);
    bool usesFloatAtomics() const { return !m_fixedPoint; }
    VkBuffer outputBuffer() const { return m_output.buffer(); }  // packed RGBA8 (B, G, R, 255), width*height

private:
    struct Level {
        int offset, width, height;
    };
    VulkanSplatRenderer() = default;
    engine::Status init(const engine::SpectralVolume& volume);
    engine::Status createPipelines();
    engine::Status recordFrame();

    std::shared_ptr<VulkanContext> m_context;  // first: outlives every handle below
    bool m_fixedPoint = false;
    int m_width = 0;
    int m_height = 0;
    int m_bands = 0;
    std::vector<Level> m_levels;

    UniqueHandle<VkCommandPool> m_pool;
    std::vector<GpuBuffer> m_coefficients;  // chunks of whole bands, each within maxStorageBufferRange
    int m_bandsPerChunk = 0;
    GpuBuffer m_weights, m_reference, m_displacement, m_accum, m_targetMax, m_pyramid, m_output, m_coordinates;
    UniqueHandle<VkDescriptorSetLayout> m_setLayout;
    UniqueHandle<VkDescriptorPool> m_descriptorPool;
    VkDescriptorSet m_set = VK_NULL_HANDLE;  // freed with its pool
    UniqueHandle<VkPipelineLayout> m_pipelineLayout;
    std::vector<UniqueHandle<VkPipeline>> m_pipelines;  // indexed by Kernel
    UniqueHandle<VkCommandBuffer> m_frame;
    UniqueHandle<VkFence> m_fence;
};

// A RenderBackendFactory that makes Vulkan renderers on one shared context.
engine::RenderBackendFactory vulkanRenderBackend(std::shared_ptr<VulkanContext> context, VulkanSplatParams params = {});

}  // namespace waft::render
