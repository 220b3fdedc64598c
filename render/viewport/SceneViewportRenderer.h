#pragma once

// Vulkan (with prototypes) before Qt: qvulkaninstance.h would otherwise define VK_NO_PROTOTYPES first.
#include "UniqueHandle.h"
#include "VulkanContext.h"
#include "VulkanSplatRenderer.h"

#include <QElapsedTimer>
#include <QVulkanWindowRenderer>
#include <memory>

namespace waft::render {

class SceneViewport;

// The viewport's per-device and per-swapchain resources, created and released in pairs exactly as
// QVulkanWindowRenderer calls them: initResources/releaseResources (pipeline, sampler, scene renderer and
// its frame image) and initSwapChainResources/releaseSwapChainResources (nothing size-dependent is cached:
// zoom and size go in push constants). Each frame runs the compute pipeline (VulkanSplatRenderer) on Qt's
// queue, copies its output into a sampled image and draws it. GUI thread.
class SceneViewportRenderer : public QVulkanWindowRenderer {
public:
    explicit SceneViewportRenderer(SceneViewport* window);

    void initResources() override;
    void initSwapChainResources() override;
    void releaseSwapChainResources() override;
    void releaseResources() override;
    void startNextFrame() override;

private:
    engine::Status createPipeline();
    engine::Status createSceneResources();
    void releaseSceneResources();

    SceneViewport* m_window;
    std::shared_ptr<VulkanContext> m_context;
    std::shared_ptr<const engine::SpectralVolume> m_scene;  // what the scene resources were made for
    std::unique_ptr<VulkanSplatRenderer> m_splat;
    UniqueHandle<VkImage> m_image;
    UniqueHandle<VkDeviceMemory> m_imageMemory;
    UniqueHandle<VkImageView> m_imageView;
    UniqueHandle<VkSampler> m_sampler;
    UniqueHandle<VkDescriptorSetLayout> m_setLayout;
    UniqueHandle<VkDescriptorPool> m_descriptorPool;
    VkDescriptorSet m_set = VK_NULL_HANDLE;
    UniqueHandle<VkPipelineLayout> m_pipelineLayout;
    UniqueHandle<VkPipeline> m_pipeline;
    VkFormat m_imageFormat = VK_FORMAT_B8G8R8A8_UNORM;
    QElapsedTimer m_clock;
    bool m_failed = false;
};

}  // namespace waft::render
