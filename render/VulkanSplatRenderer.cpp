#include "VulkanSplatRenderer.h"

#include <algorithm>
#include <cstring>
#include <opencv2/imgproc.hpp>

#include "VkObjects.h"
#include "raster/FrameRenderer.h"

namespace waft::render {

namespace {

constexpr uint32_t kGroupSize = 256;  // local_size_x of every kernel
constexpr int kMaxBandsOnGpu = 256;   // uniform block holds 128 vec4 = 256 complex coordinates
constexpr uint32_t kBindingCount = 9;
constexpr uint32_t kMaxCoefficientChunks = 8;  // matches common.glsl

struct PushConstants {
    int32_t width, height, bands, levelOffset, levelWidth, levelHeight, otherOffset, otherWidth, otherHeight,
        bandsPerChunk;
};

uint32_t groups(int items) { return uint32_t((int64_t(items) + kGroupSize - 1) / kGroupSize); }

void barrier(VkCommandBuffer cmd, VkPipelineStageFlags from, VkAccessFlags fromAccess, VkPipelineStageFlags to,
             VkAccessFlags toAccess) {
    VkMemoryBarrier b{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    b.srcAccessMask = fromAccess;
    b.dstAccessMask = toAccess;
    vkCmdPipelineBarrier(cmd, from, to, 0, 1, &b, 0, nullptr, 0, nullptr);
}

void computeToCompute(VkCommandBuffer cmd) {
    barrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
            VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
}

}  // namespace

engine::Expected<std::unique_ptr<VulkanSplatRenderer>> VulkanSplatRenderer::create(
    std::shared_ptr<VulkanContext> context, const engine::SpectralVolume& volume, VulkanSplatParams params) {
    if (!context) return engine::Status::invalid("no Vulkan context");
    WAFT_RETURN_IF_ERROR(volume.validate());
    if (volume.bands > kMaxBandsOnGpu) return engine::Status::invalid("the Vulkan renderer takes at most 256 bands");
    std::unique_ptr<VulkanSplatRenderer> renderer(new VulkanSplatRenderer());
    renderer->m_context = std::move(context);
    renderer->m_fixedPoint = params.forceFixedPoint || !renderer->m_context->info().floatAtomicAdd;
    WAFT_RETURN_IF_ERROR(renderer->init(volume));
    return renderer;
}

VulkanSplatRenderer::~VulkanSplatRenderer() {
    if (m_context && m_context->device()) vkQueueWaitIdle(m_context->queue());
}

engine::Status VulkanSplatRenderer::init(const engine::SpectralVolume& volume) {
    const VulkanContext& ctx = *m_context;
    const VkDevice device = ctx.device();
    m_width = volume.width;
    m_height = volume.height;
    m_bands = volume.bands;
    const size_t n = volume.planeSize();
    const size_t paddedPlane = (n + 3) / 4 * 4;  // synthesize.comp reads vec4s
    const VkDeviceSize bandBytes = VkDeviceSize(4) * paddedPlane * sizeof(float);
    m_bandsPerChunk = int(std::min<VkDeviceSize>(VkDeviceSize(m_bands), ctx.info().maxStorageBufferRange / bandBytes));
    if (m_bandsPerChunk < 1 || (m_bands + m_bandsPerChunk - 1) / m_bandsPerChunk > int(kMaxCoefficientChunks))
        return engine::Status::error(engine::StatusCode::Unsupported,
                                     "scene too large for this Vulkan device's storage buffers (" +
                                         std::to_string((bandBytes * VkDeviceSize(m_bands)) >> 20) +
                                         " MiB in chunks of at most " +
                                         std::to_string(ctx.info().maxStorageBufferRange >> 20) +
                                         " MiB): use a smaller size or the CPU renderer");

    VkCommandPoolCreateInfo poolInfo{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    poolInfo.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    poolInfo.queueFamilyIndex = ctx.queueFamily();
    VkCommandPool pool;
    WAFT_VK_RETURN_IF_ERROR(vkCreateCommandPool(device, &poolInfo, nullptr, &pool));
    m_pool = UniqueHandle<VkCommandPool>(pool, [device](VkCommandPool p) { vkDestroyCommandPool(device, p, nullptr); });

    // Pyramid levels down to 1x1 (extra levels above the first hole-free one change nothing: see pull.comp).
    int offset = 0, w = m_width, h = m_height;
    for (;;) {
        m_levels.push_back({offset, w, h});
        offset += w * h;
        if (w == 1 && h == 1) break;
        w = (w + 1) / 2;
        h = (h + 1) / 2;
    }

    const VkBufferUsageFlags storage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
    struct Spec {
        GpuBuffer* buffer;
        VkDeviceSize bytes;
        VkBufferUsageFlags usage;
        BufferAccess access;
    };
    const Spec specs[] = {
        {&m_weights, n * 4, storage, BufferAccess::DeviceOnly},
        {&m_reference, n * 4, storage, BufferAccess::DeviceOnly},
        {&m_displacement, n * 8, storage, BufferAccess::DeviceOnly},
        {&m_accum, n * 16, storage, BufferAccess::DeviceOnly},
        {&m_targetMax, n * 4, storage, BufferAccess::DeviceOnly},
        {&m_pyramid, VkDeviceSize(offset) * 16, storage, BufferAccess::DeviceOnly},
        {&m_output, n * 4, storage, BufferAccess::HostVisible},
        {&m_coordinates, 128 * 16, VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT, BufferAccess::HostVisible},
    };
    for (const Spec& s : specs) {
        auto buffer = GpuBuffer::create(ctx, s.bytes, s.usage, s.access);
        if (!buffer) return buffer.status();
        *s.buffer = std::move(buffer).value();
    }
    std::memset(m_coordinates.mapped(), 0, 128 * 16);

    // Scene upload: coefficients, weights (the CPU reference's own map), reference packed as B | G << 8 | R << 16.
    for (int first = 0; first < m_bands; first += m_bandsPerChunk) {
        const int count = std::min(m_bandsPerChunk, m_bands - first);
        std::vector<float> padded(size_t(count) * 4 * paddedPlane, 0.0f);
        for (int plane = 0; plane < count * 4; ++plane) {
            const auto src = volume.coefficients.begin() + long((size_t(first) * 4 + size_t(plane)) * n);
            std::copy(src, src + long(n), padded.begin() + long(size_t(plane) * paddedPlane));
        }
        auto chunk = GpuBuffer::create(ctx, padded.size() * sizeof(float), storage, BufferAccess::DeviceOnly);
        if (!chunk) return chunk.status();
        WAFT_RETURN_IF_ERROR(chunk->upload(ctx, pool, padded.data(), padded.size() * sizeof(float)));
        m_coefficients.push_back(std::move(chunk).value());
    }
    const std::vector<float> weights = engine::sceneSplatWeights(volume);
    WAFT_RETURN_IF_ERROR(m_weights.upload(ctx, pool, weights.data(), n * 4));
    std::vector<uint32_t> packed(n);
    for (int y = 0; y < m_height; ++y) {
        const uint8_t* row = volume.reference.ptr<uint8_t>(y);
        for (int x = 0; x < m_width; ++x)
            packed[size_t(y) * m_width + x] =
                uint32_t(row[3 * x]) | uint32_t(row[3 * x + 1]) << 8 | uint32_t(row[3 * x + 2]) << 16;
    }
    WAFT_RETURN_IF_ERROR(m_reference.upload(ctx, pool, packed.data(), n * 4));

    WAFT_RETURN_IF_ERROR(createPipelines());
    return recordFrame();
}

engine::Status VulkanSplatRenderer::createPipelines() {
    const VkDevice device = m_context->device();
    VkDescriptorSetLayoutBinding bindings[kBindingCount]{};
    for (uint32_t b = 0; b < kBindingCount; ++b) {
        bindings[b].binding = b;
        bindings[b].descriptorType = b == 8 ? VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER : VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
        bindings[b].descriptorCount = b == 0 ? kMaxCoefficientChunks : 1;
        bindings[b].stageFlags = VK_SHADER_STAGE_COMPUTE_BIT;
    }
    VkDescriptorSetLayoutCreateInfo layoutInfo{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
    layoutInfo.bindingCount = kBindingCount;
    layoutInfo.pBindings = bindings;
    VkDescriptorSetLayout setLayout;
    WAFT_VK_RETURN_IF_ERROR(vkCreateDescriptorSetLayout(device, &layoutInfo, nullptr, &setLayout));
    m_setLayout = UniqueHandle<VkDescriptorSetLayout>(
        setLayout, [device](VkDescriptorSetLayout l) { vkDestroyDescriptorSetLayout(device, l, nullptr); });

    const VkDescriptorPoolSize sizes[] = {{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 7 + kMaxCoefficientChunks},
                                          {VK_DESCRIPTOR_TYPE_UNIFORM_BUFFER, 1}};
    VkDescriptorPoolCreateInfo poolInfo{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    poolInfo.maxSets = 1;
    poolInfo.poolSizeCount = 2;
    poolInfo.pPoolSizes = sizes;
    VkDescriptorPool descriptorPool;
    WAFT_VK_RETURN_IF_ERROR(vkCreateDescriptorPool(device, &poolInfo, nullptr, &descriptorPool));
    m_descriptorPool = UniqueHandle<VkDescriptorPool>(
        descriptorPool, [device](VkDescriptorPool p) { vkDestroyDescriptorPool(device, p, nullptr); });
    VkDescriptorSetAllocateInfo allocInfo{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
    allocInfo.descriptorPool = descriptorPool;
    allocInfo.descriptorSetCount = 1;
    allocInfo.pSetLayouts = &setLayout;
    WAFT_VK_RETURN_IF_ERROR(vkAllocateDescriptorSets(device, &allocInfo, &m_set));

    // Unused chunk slots repeat the first chunk: every descriptor must be valid, the shader never reads them.
    VkDescriptorBufferInfo chunkInfos[kMaxCoefficientChunks];
    for (uint32_t c = 0; c < kMaxCoefficientChunks; ++c)
        chunkInfos[c] = {m_coefficients[c < m_coefficients.size() ? c : 0].buffer(), 0, VK_WHOLE_SIZE};
    const GpuBuffer* buffers[kBindingCount] = {nullptr,      &m_weights, &m_reference, &m_displacement, &m_accum,
                                               &m_targetMax, &m_pyramid, &m_output,    &m_coordinates};
    VkDescriptorBufferInfo infos[kBindingCount];
    VkWriteDescriptorSet writes[kBindingCount]{};
    for (uint32_t b = 0; b < kBindingCount; ++b) {
        if (b > 0) infos[b] = {buffers[b]->buffer(), 0, VK_WHOLE_SIZE};
        writes[b].sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET;
        writes[b].dstSet = m_set;
        writes[b].dstBinding = b;
        writes[b].descriptorCount = b == 0 ? kMaxCoefficientChunks : 1;
        writes[b].descriptorType = bindings[b].descriptorType;
        writes[b].pBufferInfo = b == 0 ? chunkInfos : &infos[b];
    }
    vkUpdateDescriptorSets(device, kBindingCount, writes, 0, nullptr);

    auto pipelineLayoutOwner =
        createPipelineLayout(device, setLayout, {VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(PushConstants)});
    if (!pipelineLayoutOwner) return pipelineLayoutOwner.status();
    m_pipelineLayout = std::move(pipelineLayoutOwner).value();
    const VkPipelineLayout pipelineLayout = m_pipelineLayout.get();

    const VkBool32 fixedPoint = m_fixedPoint ? VK_TRUE : VK_FALSE;
    const VkSpecializationMapEntry entry{0, 0, sizeof(VkBool32)};
    const VkSpecializationInfo specialization{1, &entry, sizeof(VkBool32), &fixedPoint};
    m_pipelines.clear();
    for (Kernel kernel : {Kernel::Synthesize, Kernel::SplatFloat, Kernel::SplatMax, Kernel::SplatFixed, Kernel::Resolve,
                          Kernel::Push, Kernel::Pull, Kernel::Pack}) {
        // The float-atomic kernel is only built where the device supports it.
        if (kernel == Kernel::SplatFloat && m_fixedPoint) {
            m_pipelines.emplace_back();
            continue;
        }
        const ShaderCode code = shaderCode(kernel);
        auto module = createShaderModule(device, code.words, code.bytes);
        if (!module) return module.status();
        VkComputePipelineCreateInfo info{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
        info.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
        info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
        info.stage.module = module->get();
        info.stage.pName = "main";
        info.stage.pSpecializationInfo = kernel == Kernel::Resolve ? &specialization : nullptr;
        info.layout = pipelineLayout;
        VkPipeline pipeline;
        WAFT_VK_RETURN_IF_ERROR(vkCreateComputePipelines(device, VK_NULL_HANDLE, 1, &info, nullptr, &pipeline));
        m_pipelines.emplace_back(pipeline, [device](VkPipeline p) { vkDestroyPipeline(device, p, nullptr); });
    }
    VkFenceCreateInfo fenceInfo{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence fence;
    WAFT_VK_RETURN_IF_ERROR(vkCreateFence(device, &fenceInfo, nullptr, &fence));
    m_fence = UniqueHandle<VkFence>(fence, [device](VkFence f) { vkDestroyFence(device, f, nullptr); });
    return engine::Status::ok();
}

engine::Status VulkanSplatRenderer::recordFrame() {
    const VkDevice device = m_context->device();
    const VkCommandPool pool = m_pool.get();
    VkCommandBufferAllocateInfo allocInfo{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    allocInfo.commandPool = pool;
    allocInfo.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    allocInfo.commandBufferCount = 1;
    VkCommandBuffer cmd;
    WAFT_VK_RETURN_IF_ERROR(vkAllocateCommandBuffers(device, &allocInfo, &cmd));
    m_frame = UniqueHandle<VkCommandBuffer>(
        cmd, [device, pool](VkCommandBuffer c) { vkFreeCommandBuffers(device, pool, 1, &c); });

    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    WAFT_VK_RETURN_IF_ERROR(vkBeginCommandBuffer(cmd, &begin));
    const VkPipelineLayout layout = m_pipelineLayout.get();
    vkCmdBindDescriptorSets(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0, 1, &m_set, 0, nullptr);
    PushConstants pc{m_width, m_height, m_bands, 0, m_width, m_height, 0, m_width, m_height, m_bandsPerChunk};
    const int n = m_width * m_height;
    const auto dispatch = [&](Kernel kernel, int items) {
        vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, m_pipelines[size_t(kernel)].get());
        vkCmdPushConstants(cmd, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof pc, &pc);
        vkCmdDispatch(cmd, groups(items), 1, 1);
    };

    // The host wrote the coordinates before submit; make them visible, and clear the accumulators.
    barrier(cmd, VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_WRITE_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
            VK_ACCESS_UNIFORM_READ_BIT);
    vkCmdFillBuffer(cmd, m_accum.buffer(), 0, VK_WHOLE_SIZE, 0);
    if (m_fixedPoint) vkCmdFillBuffer(cmd, m_targetMax.buffer(), 0, VK_WHOLE_SIZE, 0);
    dispatch(Kernel::Synthesize, (n + 3) / 4);
    barrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
            VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
            VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
    if (m_fixedPoint) {
        dispatch(Kernel::SplatMax, n);
        computeToCompute(cmd);
        dispatch(Kernel::SplatFixed, n);
    } else {
        dispatch(Kernel::SplatFloat, n);
    }
    computeToCompute(cmd);
    dispatch(Kernel::Resolve, n);
    for (size_t l = 1; l < m_levels.size(); ++l) {
        computeToCompute(cmd);
        pc.levelOffset = m_levels[l].offset;
        pc.levelWidth = m_levels[l].width;
        pc.levelHeight = m_levels[l].height;
        pc.otherOffset = m_levels[l - 1].offset;
        pc.otherWidth = m_levels[l - 1].width;
        pc.otherHeight = m_levels[l - 1].height;
        dispatch(Kernel::Push, m_levels[l].width * m_levels[l].height);
    }
    for (size_t l = m_levels.size() - 1; l-- > 0;) {
        computeToCompute(cmd);
        pc.levelOffset = m_levels[l].offset;
        pc.levelWidth = m_levels[l].width;
        pc.levelHeight = m_levels[l].height;
        pc.otherOffset = m_levels[l + 1].offset;
        pc.otherWidth = m_levels[l + 1].width;
        pc.otherHeight = m_levels[l + 1].height;
        dispatch(Kernel::Pull, m_levels[l].width * m_levels[l].height);
    }
    computeToCompute(cmd);
    dispatch(Kernel::Pack, n);
    barrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT, VK_PIPELINE_STAGE_HOST_BIT,
            VK_ACCESS_HOST_READ_BIT);
    WAFT_VK_RETURN_IF_ERROR(vkEndCommandBuffer(cmd));
    return engine::Status::ok();
}

engine::Status VulkanSplatRenderer::compute(const std::vector<std::complex<float>>& q) {
    auto* coordinates = static_cast<std::complex<float>*>(m_coordinates.mapped());
    for (int j = 0; j < m_bands; ++j) coordinates[j] = size_t(j) < q.size() ? q[size_t(j)] : std::complex<float>();
    const VkDevice device = m_context->device();
    const VkFence fence = m_fence.get();
    const VkCommandBuffer cmd = m_frame.get();
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &cmd;
    WAFT_VK_RETURN_IF_ERROR(vkResetFences(device, 1, &fence));
    WAFT_VK_RETURN_IF_ERROR(vkQueueSubmit(m_context->queue(), 1, &submit, fence));
    WAFT_VK_RETURN_IF_ERROR(vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX));
    return engine::Status::ok();
}

engine::Status VulkanSplatRenderer::render(const std::vector<std::complex<float>>& q, cv::Mat& outBgr8) {
    WAFT_RETURN_IF_ERROR(compute(q));
    const cv::Mat bgra(m_height, m_width, CV_8UC4, m_output.mapped());
    cv::cvtColor(bgra, outBgr8, cv::COLOR_BGRA2BGR);
    return engine::Status::ok();
}

engine::RenderBackendFactory vulkanRenderBackend(std::shared_ptr<VulkanContext> context, VulkanSplatParams params) {
    return [context,
            params](const engine::SpectralVolume& volume) -> engine::Expected<std::unique_ptr<engine::RenderBackend>> {
        auto renderer = VulkanSplatRenderer::create(context, volume, params);
        if (!renderer) return renderer.status();
        return std::unique_ptr<engine::RenderBackend>(std::move(renderer).value());
    };
}

}  // namespace waft::render
