#include "SceneViewportRenderer.h"

#include <QVulkanFunctions>

#include "SceneViewport.h"
#include "VkObjects.h"

namespace waft::render {

namespace {
// clang-format off
const uint32_t kVertex[] = {
#include "viewport.vert.spv.inc"
};
const uint32_t kFragment[] = {
#include "viewport.frag.spv.inc"
};
// clang-format on

struct ViewConstants {
    float sizes[4];
    float view[4];
};

bool isSrgb(VkFormat format) {
    return format == VK_FORMAT_B8G8R8A8_SRGB || format == VK_FORMAT_R8G8B8A8_SRGB ||
           format == VK_FORMAT_A8B8G8R8_SRGB_PACK32;
}
}  // namespace

SceneViewportRenderer::SceneViewportRenderer(SceneViewport* window) : m_window(window) {}

void SceneViewportRenderer::initResources() {
    QVulkanInstance* instance = m_window->vulkanInstance();
    m_context = VulkanContext::adopt(instance->vkInstance(), m_window->physicalDevice(), m_window->device(),
                                     m_window->graphicsQueue(), m_window->graphicsQueueFamilyIndex());
    // The frame image holds sRGB-encoded bytes: sample it as sRGB when the swapchain encodes, so colours pass
    // through unchanged either way.
    m_imageFormat = isSrgb(m_window->colorFormat()) ? VK_FORMAT_B8G8R8A8_SRGB : VK_FORMAT_B8G8R8A8_UNORM;
    m_failed = false;
    if (const engine::Status s = createPipeline(); !s) {
        m_failed = true;
        m_window->reportError(QString::fromStdString(s.message()));
    }
    m_clock.start();
}

void SceneViewportRenderer::initSwapChainResources() {}

void SceneViewportRenderer::releaseSwapChainResources() {}

void SceneViewportRenderer::releaseResources() {
    releaseSceneResources();
    m_pipeline.reset();
    m_pipelineLayout.reset();
    m_descriptorPool.reset();
    m_setLayout.reset();
    m_sampler.reset();
    m_context.reset();
}

engine::Status SceneViewportRenderer::createPipeline() {
    const VkDevice device = m_window->device();
    VkSamplerCreateInfo samplerInfo{VK_STRUCTURE_TYPE_SAMPLER_CREATE_INFO};
    samplerInfo.magFilter = VK_FILTER_LINEAR;
    samplerInfo.minFilter = VK_FILTER_LINEAR;
    samplerInfo.addressModeU = samplerInfo.addressModeV = samplerInfo.addressModeW =
        VK_SAMPLER_ADDRESS_MODE_CLAMP_TO_EDGE;
    samplerInfo.maxLod = 0.0f;
    VkSampler sampler;
    WAFT_VK_RETURN_IF_ERROR(vkCreateSampler(device, &samplerInfo, nullptr, &sampler));
    m_sampler = UniqueHandle<VkSampler>(sampler, [device](VkSampler s) { vkDestroySampler(device, s, nullptr); });

    VkDescriptorSetLayoutBinding binding{0, VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 1, VK_SHADER_STAGE_FRAGMENT_BIT,
                                         nullptr};
    VkDescriptorSetLayoutCreateInfo layoutInfo{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    layoutInfo.bindingCount = 1;
    layoutInfo.pBindings = &binding;
    VkDescriptorSetLayout setLayout;
    WAFT_VK_RETURN_IF_ERROR(vkCreateDescriptorSetLayout(device, &layoutInfo, nullptr, &setLayout));
    m_setLayout = UniqueHandle<VkDescriptorSetLayout>(
        setLayout, [device](VkDescriptorSetLayout l) { vkDestroyDescriptorSetLayout(device, l, nullptr); });
    const VkDescriptorPoolSize poolSize{VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 1};
    VkDescriptorPoolCreateInfo poolInfo{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    poolInfo.maxSets = 1;
    poolInfo.poolSizeCount = 1;
    poolInfo.pPoolSizes = &poolSize;
    VkDescriptorPool pool;
    WAFT_VK_RETURN_IF_ERROR(vkCreateDescriptorPool(device, &poolInfo, nullptr, &pool));
    m_descriptorPool = UniqueHandle<VkDescriptorPool>(
        pool, [device](VkDescriptorPool p) { vkDestroyDescriptorPool(device, p, nullptr); });
    VkDescriptorSetAllocateInfo allocInfo{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
    allocInfo.descriptorPool = pool;
    allocInfo.descriptorSetCount = 1;
    allocInfo.pSetLayouts = &setLayout;
    WAFT_VK_RETURN_IF_ERROR(vkAllocateDescriptorSets(device, &allocInfo, &m_set));

    auto pipelineLayoutOwner =
        createPipelineLayout(device, setLayout, {VK_SHADER_STAGE_FRAGMENT_BIT, 0, sizeof(ViewConstants)});
    if (!pipelineLayoutOwner) return pipelineLayoutOwner.status();
    m_pipelineLayout = std::move(pipelineLayoutOwner).value();
    const VkPipelineLayout pipelineLayout = m_pipelineLayout.get();

    auto vertex = createShaderModule(device, kVertex, sizeof kVertex);
    if (!vertex) return vertex.status();
    auto fragment = createShaderModule(device, kFragment, sizeof kFragment);
    if (!fragment) return fragment.status();
    VkPipelineShaderStageCreateInfo stages[2]{};
    stages[0] = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                 nullptr,
                 0,
                 VK_SHADER_STAGE_VERTEX_BIT,
                 vertex->get(),
                 "main",
                 nullptr};
    stages[1] = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                 nullptr,
                 0,
                 VK_SHADER_STAGE_FRAGMENT_BIT,
                 fragment->get(),
                 "main",
                 nullptr};
    VkPipelineVertexInputStateCreateInfo vertexInput{VK_STRUCTURE_TYPE_PIPELINE_VERTEX_INPUT_STATE_CREATE_INFO};
    VkPipelineInputAssemblyStateCreateInfo assembly{VK_STRUCTURE_TYPE_PIPELINE_INPUT_ASSEMBLY_STATE_CREATE_INFO};
    assembly.topology = VK_PRIMITIVE_TOPOLOGY_TRIANGLE_LIST;
    VkPipelineViewportStateCreateInfo viewport{VK_STRUCTURE_TYPE_PIPELINE_VIEWPORT_STATE_CREATE_INFO};
    viewport.viewportCount = 1;
    viewport.scissorCount = 1;
    VkPipelineRasterizationStateCreateInfo raster{VK_STRUCTURE_TYPE_PIPELINE_RASTERIZATION_STATE_CREATE_INFO};
    raster.polygonMode = VK_POLYGON_MODE_FILL;
    raster.cullMode = VK_CULL_MODE_NONE;
    raster.lineWidth = 1.0f;
    VkPipelineMultisampleStateCreateInfo multisample{VK_STRUCTURE_TYPE_PIPELINE_MULTISAMPLE_STATE_CREATE_INFO};
    multisample.rasterizationSamples = m_window->sampleCountFlagBits();
    VkPipelineDepthStencilStateCreateInfo depth{VK_STRUCTURE_TYPE_PIPELINE_DEPTH_STENCIL_STATE_CREATE_INFO};
    VkPipelineColorBlendAttachmentState blendAttachment{};
    blendAttachment.colorWriteMask = 0xf;
    VkPipelineColorBlendStateCreateInfo blend{VK_STRUCTURE_TYPE_PIPELINE_COLOR_BLEND_STATE_CREATE_INFO};
    blend.attachmentCount = 1;
    blend.pAttachments = &blendAttachment;
    const VkDynamicState dynamicStates[] = {VK_DYNAMIC_STATE_VIEWPORT, VK_DYNAMIC_STATE_SCISSOR};
    VkPipelineDynamicStateCreateInfo dynamic{VK_STRUCTURE_TYPE_PIPELINE_DYNAMIC_STATE_CREATE_INFO};
    dynamic.dynamicStateCount = 2;
    dynamic.pDynamicStates = dynamicStates;
    VkGraphicsPipelineCreateInfo info{VK_STRUCTURE_TYPE_GRAPHICS_PIPELINE_CREATE_INFO};
    info.stageCount = 2;
    info.pStages = stages;
    info.pVertexInputState = &vertexInput;
    info.pInputAssemblyState = &assembly;
    info.pViewportState = &viewport;
    info.pRasterizationState = &raster;
    info.pMultisampleState = &multisample;
    info.pDepthStencilState = &depth;
    info.pColorBlendState = &blend;
    info.pDynamicState = &dynamic;
    info.layout = pipelineLayout;
    info.renderPass = m_window->defaultRenderPass();
    VkPipeline pipeline;
    WAFT_VK_RETURN_IF_ERROR(vkCreateGraphicsPipelines(device, VK_NULL_HANDLE, 1, &info, nullptr, &pipeline));
    m_pipeline = UniqueHandle<VkPipeline>(pipeline, [device](VkPipeline p) { vkDestroyPipeline(device, p, nullptr); });
    return engine::Status::ok();
}

engine::Status SceneViewportRenderer::createSceneResources() {
    releaseSceneResources();
    m_scene = m_window->scene();
    if (!m_scene) return engine::Status::ok();
    auto splat = VulkanSplatRenderer::create(m_context, *m_scene);
    if (!splat) return splat.status();
    m_splat = std::move(splat).value();

    const VkDevice device = m_window->device();
    VkImageCreateInfo imageInfo{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
    imageInfo.imageType = VK_IMAGE_TYPE_2D;
    imageInfo.format = m_imageFormat;
    imageInfo.extent = {uint32_t(m_scene->width), uint32_t(m_scene->height), 1};
    imageInfo.mipLevels = 1;
    imageInfo.arrayLayers = 1;
    imageInfo.samples = VK_SAMPLE_COUNT_1_BIT;
    imageInfo.tiling = VK_IMAGE_TILING_OPTIMAL;
    imageInfo.usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT | VK_IMAGE_USAGE_SAMPLED_BIT;
    imageInfo.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    VkImage image;
    WAFT_VK_RETURN_IF_ERROR(vkCreateImage(device, &imageInfo, nullptr, &image));
    m_image = UniqueHandle<VkImage>(image, [device](VkImage i) { vkDestroyImage(device, i, nullptr); });
    VkMemoryRequirements requirements;
    vkGetImageMemoryRequirements(device, image, &requirements);
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    alloc.allocationSize = requirements.size;
    alloc.memoryTypeIndex = m_context->memoryType(requirements.memoryTypeBits, 0, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    VkDeviceMemory memory;
    WAFT_VK_RETURN_IF_ERROR(vkAllocateMemory(device, &alloc, nullptr, &memory));
    m_imageMemory =
        UniqueHandle<VkDeviceMemory>(memory, [device](VkDeviceMemory m) { vkFreeMemory(device, m, nullptr); });
    WAFT_VK_RETURN_IF_ERROR(vkBindImageMemory(device, image, memory, 0));
    VkImageViewCreateInfo viewInfo{VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO};
    viewInfo.image = image;
    viewInfo.viewType = VK_IMAGE_VIEW_TYPE_2D;
    viewInfo.format = m_imageFormat;
    viewInfo.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    VkImageView view;
    WAFT_VK_RETURN_IF_ERROR(vkCreateImageView(device, &viewInfo, nullptr, &view));
    m_imageView = UniqueHandle<VkImageView>(view, [device](VkImageView v) { vkDestroyImageView(device, v, nullptr); });

    VkDescriptorImageInfo descriptor{m_sampler.get(), view, VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL};
    VkWriteDescriptorSet write{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    write.dstSet = m_set;
    write.descriptorCount = 1;
    write.descriptorType = VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER;
    write.pImageInfo = &descriptor;
    vkUpdateDescriptorSets(device, 1, &write, 0, nullptr);
    return engine::Status::ok();
}

void SceneViewportRenderer::releaseSceneResources() {
    if (m_context && m_context->device()) vkDeviceWaitIdle(m_context->device());
    m_imageView.reset();
    m_image.reset();
    m_imageMemory.reset();
    m_splat.reset();
    m_scene.reset();
}

void SceneViewportRenderer::startNextFrame() {
    QElapsedTimer frameTimer;
    frameTimer.start();
    const VkCommandBuffer cmd = m_window->currentCommandBuffer();
    const QSize size = m_window->swapChainImageSize();
    bool moving = false;
    if (!m_failed && m_window->scene() != m_scene) {
        if (const engine::Status s = createSceneResources(); !s) {
            m_failed = true;
            m_window->reportError(QString::fromStdString(s.message()));
        }
    }
    const bool drawScene = !m_failed && m_splat;
    if (drawScene) {
        std::vector<std::complex<float>> q;
        moving = m_window->coordinatesAt(double(m_clock.nsecsElapsed()) * 1e-9, q);
        if (const engine::Status s = m_splat->compute(q); !s) {
            m_failed = true;
            m_window->reportError(QString::fromStdString(s.message()));
        } else {
            // Output buffer -> frame image (previous contents are discarded: UNDEFINED is fine as old layout).
            VkImageMemoryBarrier toTransfer{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
            toTransfer.srcAccessMask = 0;
            toTransfer.dstAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
            toTransfer.oldLayout = VK_IMAGE_LAYOUT_UNDEFINED;
            toTransfer.newLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
            toTransfer.srcQueueFamilyIndex = toTransfer.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
            toTransfer.image = m_image.get();
            toTransfer.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
            vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT, 0, 0, nullptr,
                                 0, nullptr, 1, &toTransfer);
            VkBufferImageCopy region{};
            region.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
            region.imageExtent = {uint32_t(m_scene->width), uint32_t(m_scene->height), 1};
            vkCmdCopyBufferToImage(cmd, m_splat->outputBuffer(), m_image.get(), VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1,
                                   &region);
            VkImageMemoryBarrier toShader = toTransfer;
            toShader.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
            toShader.dstAccessMask = VK_ACCESS_SHADER_READ_BIT;
            toShader.oldLayout = VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL;
            toShader.newLayout = VK_IMAGE_LAYOUT_SHADER_READ_ONLY_OPTIMAL;
            vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_FRAGMENT_SHADER_BIT, 0, 0,
                                 nullptr, 0, nullptr, 1, &toShader);
        }
    }

    VkClearValue clear[3]{};
    clear[0].color = {{0.12f, 0.12f, 0.13f, 1.0f}};
    clear[1].depthStencil = {1.0f, 0};
    clear[2].color = clear[0].color;
    VkRenderPassBeginInfo pass{VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO};
    pass.renderPass = m_window->defaultRenderPass();
    pass.framebuffer = m_window->currentFramebuffer();
    pass.renderArea.extent = {uint32_t(size.width()), uint32_t(size.height())};
    pass.clearValueCount = m_window->sampleCountFlagBits() > VK_SAMPLE_COUNT_1_BIT ? 3 : 2;
    pass.pClearValues = clear;
    vkCmdBeginRenderPass(cmd, &pass, VK_SUBPASS_CONTENTS_INLINE);
    if (drawScene && !m_failed) {
        const VkViewport viewport{0.0f, 0.0f, float(size.width()), float(size.height()), 0.0f, 1.0f};
        const VkRect2D scissor{{0, 0}, {uint32_t(size.width()), uint32_t(size.height())}};
        vkCmdSetViewport(cmd, 0, 1, &viewport);
        vkCmdSetScissor(cmd, 0, 1, &scissor);
        vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, m_pipeline.get());
        vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_GRAPHICS, m_pipelineLayout.get(), 0, 1, &m_set, 0, nullptr);
        const QPointF pan = m_window->panPixels();
        const ViewConstants constants{
            {float(size.width()), float(size.height()), float(m_scene->width), float(m_scene->height)},
            {m_window->effectiveScale(size), float(pan.x()), float(pan.y()), 0.0f}};
        vkCmdPushConstants(cmd, m_pipelineLayout.get(), VK_SHADER_STAGE_FRAGMENT_BIT, 0, sizeof constants, &constants);
        vkCmdDraw(cmd, 3, 1, 0, 0);
    }
    vkCmdEndRenderPass(cmd);
    m_window->frameReady();
    m_window->frameDone(double(frameTimer.nsecsElapsed()) * 1e-6);
    if (moving) m_window->requestUpdate();  // continuous while anything moves; idle otherwise
}

}  // namespace waft::render
