#include "VulkanContext.h"

#include <cstdlib>
#include <cstring>
#include <vector>

namespace waft::render {

const char* vkResultName(VkResult result) {
    switch (result) {
        case VK_SUCCESS: return "VK_SUCCESS";
        case VK_NOT_READY: return "VK_NOT_READY";
        case VK_TIMEOUT: return "VK_TIMEOUT";
        case VK_ERROR_OUT_OF_HOST_MEMORY: return "VK_ERROR_OUT_OF_HOST_MEMORY";
        case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "VK_ERROR_OUT_OF_DEVICE_MEMORY";
        case VK_ERROR_INITIALIZATION_FAILED: return "VK_ERROR_INITIALIZATION_FAILED";
        case VK_ERROR_DEVICE_LOST: return "VK_ERROR_DEVICE_LOST";
        case VK_ERROR_LAYER_NOT_PRESENT: return "VK_ERROR_LAYER_NOT_PRESENT";
        case VK_ERROR_EXTENSION_NOT_PRESENT: return "VK_ERROR_EXTENSION_NOT_PRESENT";
        case VK_ERROR_FEATURE_NOT_PRESENT: return "VK_ERROR_FEATURE_NOT_PRESENT";
        case VK_ERROR_INCOMPATIBLE_DRIVER: return "VK_ERROR_INCOMPATIBLE_DRIVER";
        default: return "VkResult error";
    }
}

engine::Status vkStatus(VkResult result, const char* what) {
    std::string call = what;
    const size_t paren = call.find('(');
    if (paren != std::string::npos) call.resize(paren);
    return engine::Status::error(engine::StatusCode::Internal, "Vulkan: " + call + " failed: " + vkResultName(result));
}

namespace {

int deviceRank(VkPhysicalDeviceType type) {
    switch (type) {
        case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 4;
        case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 3;
        case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
        case VK_PHYSICAL_DEVICE_TYPE_CPU: return 1;
        default: return 0;
    }
}

bool hasLayer(const char* name) {
    uint32_t count = 0;
    vkEnumerateInstanceLayerProperties(&count, nullptr);
    std::vector<VkLayerProperties> layers(count);
    vkEnumerateInstanceLayerProperties(&count, layers.data());
    for (const auto& l : layers)
        if (std::strcmp(l.layerName, name) == 0) return true;
    return false;
}

bool hasDeviceExtension(VkPhysicalDevice device, const char* name) {
    uint32_t count = 0;
    vkEnumerateDeviceExtensionProperties(device, nullptr, &count, nullptr);
    std::vector<VkExtensionProperties> extensions(count);
    vkEnumerateDeviceExtensionProperties(device, nullptr, &count, extensions.data());
    for (const auto& e : extensions)
        if (std::strcmp(e.extensionName, name) == 0) return true;
    return false;
}

}  // namespace

engine::Expected<std::shared_ptr<VulkanContext>> VulkanContext::create(VulkanContextParams params) {
    if (params.deviceNameFilter.empty())
        if (const char* env = std::getenv("WAFT_VULKAN_DEVICE")) params.deviceNameFilter = env;
    if (const char* env = std::getenv("WAFT_VULKAN_VALIDATION")) params.validation = params.validation || env[0] == '1';

    std::shared_ptr<VulkanContext> context(new VulkanContext());
    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.pApplicationName = "Waft";
    app.apiVersion = VK_API_VERSION_1_1;
    VkInstanceCreateInfo instanceInfo{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    instanceInfo.pApplicationInfo = &app;
    const char* validationLayer = "VK_LAYER_KHRONOS_validation";
    if (params.validation && hasLayer(validationLayer)) {
        instanceInfo.enabledLayerCount = 1;
        instanceInfo.ppEnabledLayerNames = &validationLayer;
        context->m_info.validationEnabled = true;
    }
    const VkResult created = vkCreateInstance(&instanceInfo, nullptr, &context->m_instance);
    if (created != VK_SUCCESS)
        return engine::Status::error(
            engine::StatusCode::Unsupported,
            std::string("no Vulkan available (vkCreateInstance: ") + vkResultName(created) + ")");

    uint32_t count = 0;
    vkEnumeratePhysicalDevices(context->m_instance, &count, nullptr);
    std::vector<VkPhysicalDevice> devices(count);
    vkEnumeratePhysicalDevices(context->m_instance, &count, devices.data());
    int bestRank = -1;
    for (VkPhysicalDevice d : devices) {
        VkPhysicalDeviceProperties props;
        vkGetPhysicalDeviceProperties(d, &props);
        if (props.apiVersion < VK_API_VERSION_1_1) continue;
        if (!params.deviceNameFilter.empty() &&
            std::strstr(props.deviceName, params.deviceNameFilter.c_str()) == nullptr)
            continue;
        uint32_t familyCount = 0;
        vkGetPhysicalDeviceQueueFamilyProperties(d, &familyCount, nullptr);
        std::vector<VkQueueFamilyProperties> families(familyCount);
        vkGetPhysicalDeviceQueueFamilyProperties(d, &familyCount, families.data());
        for (uint32_t f = 0; f < familyCount; ++f) {
            if (!(families[f].queueFlags & VK_QUEUE_COMPUTE_BIT)) continue;
            if (deviceRank(props.deviceType) > bestRank) {
                bestRank = deviceRank(props.deviceType);
                context->m_physical = d;
                context->m_queueFamily = f;
                context->m_info.name = props.deviceName;
                context->m_info.type = props.deviceType;
                context->m_info.maxStorageBufferRange = props.limits.maxStorageBufferRange;
            }
            break;
        }
    }
    if (context->m_physical == VK_NULL_HANDLE)
        return engine::Status::error(engine::StatusCode::Unsupported,
                                     params.deviceNameFilter.empty()
                                         ? "no Vulkan 1.1 device with a compute queue"
                                         : "no Vulkan device matches '" + params.deviceNameFilter + "'");
    vkGetPhysicalDeviceMemoryProperties(context->m_physical, &context->m_memory);

    VkPhysicalDeviceShaderAtomicFloatFeaturesEXT atomicFloat{
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_ATOMIC_FLOAT_FEATURES_EXT};
    const bool hasAtomicFloatExtension =
        hasDeviceExtension(context->m_physical, VK_EXT_SHADER_ATOMIC_FLOAT_EXTENSION_NAME);
    if (hasAtomicFloatExtension) {
        VkPhysicalDeviceFeatures2 features{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
        features.pNext = &atomicFloat;
        vkGetPhysicalDeviceFeatures2(context->m_physical, &features);
        context->m_info.floatAtomicAdd = atomicFloat.shaderBufferFloat32AtomicAdd == VK_TRUE;
    }

    const float priority = 1.0f;
    VkDeviceQueueCreateInfo queueInfo{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
    queueInfo.queueFamilyIndex = context->m_queueFamily;
    queueInfo.queueCount = 1;
    queueInfo.pQueuePriorities = &priority;
    VkPhysicalDeviceShaderAtomicFloatFeaturesEXT enableFloat{
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_ATOMIC_FLOAT_FEATURES_EXT};
    enableFloat.shaderBufferFloat32AtomicAdd = VK_TRUE;
    const char* extension = VK_EXT_SHADER_ATOMIC_FLOAT_EXTENSION_NAME;
    // The coefficient chunks are an array of storage buffers indexed by band (see shaders/common.glsl).
    VkPhysicalDeviceFeatures supported{};
    vkGetPhysicalDeviceFeatures(context->m_physical, &supported);
    if (!supported.shaderStorageBufferArrayDynamicIndexing)
        return engine::Status::error(engine::StatusCode::Unsupported,
                                     "Vulkan device lacks shaderStorageBufferArrayDynamicIndexing");
    VkPhysicalDeviceFeatures enabled{};
    enabled.shaderStorageBufferArrayDynamicIndexing = VK_TRUE;
    VkDeviceCreateInfo deviceInfo{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
    deviceInfo.pEnabledFeatures = &enabled;
    deviceInfo.queueCreateInfoCount = 1;
    deviceInfo.pQueueCreateInfos = &queueInfo;
    if (context->m_info.floatAtomicAdd) {
        deviceInfo.pNext = &enableFloat;
        deviceInfo.enabledExtensionCount = 1;
        deviceInfo.ppEnabledExtensionNames = &extension;
    }
    WAFT_VK_RETURN_IF_ERROR(vkCreateDevice(context->m_physical, &deviceInfo, nullptr, &context->m_device));
    vkGetDeviceQueue(context->m_device, context->m_queueFamily, 0, &context->m_queue);
    return context;
}

std::shared_ptr<VulkanContext> VulkanContext::adopt(VkInstance instance, VkPhysicalDevice physical, VkDevice device,
                                                    VkQueue queue, uint32_t queueFamily) {
    std::shared_ptr<VulkanContext> context(new VulkanContext());
    context->m_owned = false;
    context->m_instance = instance;
    context->m_physical = physical;
    context->m_device = device;
    context->m_queue = queue;
    context->m_queueFamily = queueFamily;
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(physical, &props);
    context->m_info.name = props.deviceName;
    context->m_info.type = props.deviceType;
    context->m_info.maxStorageBufferRange = props.limits.maxStorageBufferRange;
    vkGetPhysicalDeviceMemoryProperties(physical, &context->m_memory);
    return context;
}

VulkanContext::~VulkanContext() {
    if (!m_owned) return;
    if (m_device) {
        vkDeviceWaitIdle(m_device);
        vkDestroyDevice(m_device, nullptr);
    }
    if (m_instance) vkDestroyInstance(m_instance, nullptr);
}

uint32_t VulkanContext::memoryType(uint32_t typeBits, VkMemoryPropertyFlags required,
                                   VkMemoryPropertyFlags preferred) const {
    uint32_t fallback = UINT32_MAX;
    for (uint32_t i = 0; i < m_memory.memoryTypeCount; ++i) {
        if (!(typeBits & (1u << i))) continue;
        const VkMemoryPropertyFlags flags = m_memory.memoryTypes[i].propertyFlags;
        if ((flags & required) != required) continue;
        if ((flags & preferred) == preferred) return i;
        if (fallback == UINT32_MAX) fallback = i;
    }
    return fallback;
}

}  // namespace waft::render
