#pragma once
// The first three blocks of VGG16's feature stack (torchvision's `features.0` … `features.14`: conv3×3 + ReLU,
// max-pooling between blocks) for the neural renderer's optional perceptual loss, from weights the user supplies
// as safetensors (torchvision's names; the rest of a full VGG16 file is ignored). None ship, and nothing is
// downloaded. Frozen; any thread for inference. Engine-internal (pulls in torch).

#include <torch/torch.h>

#include <string>

#include "core/Status.h"

namespace waft::engine::render {

struct Vgg16FeaturesImpl : torch::nn::Module {
    Vgg16FeaturesImpl();
    // L1 between the relu1_2, relu2_2 and relu3_3 activations of a and b ([N, 3, H, W] RGB in [0, 1], normalised
    // with ImageNet's mean and deviation here), summed over the three.
    torch::Tensor perceptualLoss(const torch::Tensor& a, const torch::Tensor& b);

private:
    std::vector<torch::Tensor> activations(const torch::Tensor& rgb);
    std::vector<torch::nn::Conv2d> m_convs;
};
TORCH_MODULE(Vgg16Features);

// Loads the seven convolutions from `path` (names and shapes checked, finite, through the engine's one weight
// loader), frozen and in eval mode on `device`.
Expected<Vgg16Features> loadVgg16Features(const std::string& path, const torch::Device& device);

}  // namespace waft::engine::render
