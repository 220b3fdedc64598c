#include "ml/common/WeightLoader.h"

#include <cstring>
#include <set>

#include "core/JsonLimits.h"

namespace waft::engine::ml {

namespace {

bool sameExtents(const std::vector<int64_t>& stored, c10::IntArrayRef wanted) {
    if (stored.size() < wanted.size()) return false;
    for (size_t i = 0; i < stored.size(); ++i)
        if (i < wanted.size() ? stored[i] != wanted[i] : stored[i] != 1) return false;
    return true;
}

std::string shapeText(const std::vector<int64_t>& shape) {
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

Expected<torch::ScalarType> torchType(DType dtype) {
    switch (dtype) {
        case DType::F16: return torch::kHalf;
        case DType::BF16: return torch::kBFloat16;
        case DType::F32: return torch::kFloat32;
        case DType::F64: return torch::kFloat64;
        default: return Status::corrupt(std::string("is ") + dtypeName(dtype) + ", not floating point");
    }
}

// Copies a stored tensor into `target`, converting dtype and device on the way. The mapping's bytes are used in
// place when they are aligned for their type (a hostile header may misalign them; then one tensor-sized copy).
void copyInto(torch::Tensor& target, const uint8_t* bytes, const TensorInfo& info, torch::ScalarType type) {
    const size_t size = dtypeSize(info.dtype);
    const int64_t count = target.numel();
    std::vector<uint8_t> aligned;
    const void* src = bytes;
    if (reinterpret_cast<uintptr_t>(bytes) % size != 0) {
        aligned.resize(size_t(count) * size);
        if (count > 0) std::memcpy(aligned.data(), bytes, aligned.size());
        src = aligned.data();
    }
    const torch::Tensor stored =
        torch::from_blob(const_cast<void*>(src), {count}, torch::TensorOptions().dtype(type)).view(target.sizes());
    target.copy_(stored);
}

}  // namespace

Expected<WeightLoadReport> loadWeights(torch::nn::Module& module, const SafetensorsFile& file, const std::string& path,
                                       const WeightLoadOptions& options) {
    if (!file.hasData()) return Status::invalid(path + ": opened for its header only");
    torch::NoGradGuard noGrad;
    WeightLoadReport report;
    std::set<std::string> taken;
    const auto fill = [&](const std::string& name, torch::Tensor& target) -> Status {
        const std::vector<std::string> candidates =
            options.fileNames ? options.fileNames(name) : std::vector<std::string>{name};
        const TensorInfo* info = nullptr;
        std::string found;
        for (const std::string& candidate : candidates)
            if ((info = file.find(candidate))) {
                found = candidate;
                break;
            }
        if (!info && !options.requireAll) return Status::ok();
        if (!info)
            return Status::corrupt(path + ": tensor " + quoteForError(candidates.empty() ? name : candidates.front()) +
                                   " is missing");
        const std::string quoted = quoteForError(found);
        if (!sameExtents(info->shape, target.sizes()))
            return Status::corrupt(path + ": tensor " + quoted + " has shape " + shapeText(info->shape) +
                                   ", expected " + shapeText(target.sizes().vec()));
        const auto type = torchType(info->dtype);
        if (!type) return Status::corrupt(path + ": tensor " + quoted + " " + type.status().message());
        copyInto(target, file.data(*info), *info, *type);
        if (target.numel() > 0 && !torch::isfinite(target).all().item<bool>())
            return Status::corrupt(path + ": tensor " + quoted + " holds NaN or infinite values");
        taken.insert(found);
        ++report.tensors;
        report.parameters += target.numel();
        return Status::ok();
    };
    for (auto& p : module.named_parameters()) WAFT_RETURN_IF_ERROR(fill(p.key(), p.value()));
    for (auto& b : module.named_buffers()) WAFT_RETURN_IF_ERROR(fill(b.key(), b.value()));
    for (const auto& [name, info] : file.tensors()) {
        if (taken.count(name) || (options.inScope && !options.inScope(name))) continue;
        if (options.ignorable && options.ignorable(name)) {
            ++report.ignored;
            continue;
        }
        return Status::corrupt(path + ": tensor " + quoteForError(name) + " does not belong to this model");
    }
    return report;
}

}  // namespace waft::engine::ml
