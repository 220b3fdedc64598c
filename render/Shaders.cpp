#include "Shaders.h"

namespace waft::render {

namespace {
// clang-format off
const uint32_t kSynthesize[] = {
#include "synthesize.spv.inc"
};
const uint32_t kSplatFloat[] = {
#include "splat_float.spv.inc"
};
const uint32_t kSplatMax[] = {
#include "splat_max.spv.inc"
};
const uint32_t kSplatFixed[] = {
#include "splat_fixed.spv.inc"
};
const uint32_t kResolve[] = {
#include "resolve.spv.inc"
};
const uint32_t kPush[] = {
#include "push.spv.inc"
};
const uint32_t kPull[] = {
#include "pull.spv.inc"
};
const uint32_t kPack[] = {
#include "pack.spv.inc"
};
// clang-format on
}  // namespace

ShaderCode shaderCode(Kernel kernel) {
    switch (kernel) {
        case Kernel::Synthesize: return {kSynthesize, sizeof kSynthesize};
        case Kernel::SplatFloat: return {kSplatFloat, sizeof kSplatFloat};
        case Kernel::SplatMax: return {kSplatMax, sizeof kSplatMax};
        case Kernel::SplatFixed: return {kSplatFixed, sizeof kSplatFixed};
        case Kernel::Resolve: return {kResolve, sizeof kResolve};
        case Kernel::Push: return {kPush, sizeof kPush};
        case Kernel::Pull: return {kPull, sizeof kPull};
        case Kernel::Pack: return {kPack, sizeof kPack};
    }
    return {nullptr, 0};
}

}  // namespace waft::render
