#include "ml/render/Vgg16Features.h"

#include "core/Job.h"
#include "io/SafetensorsFile.h"
#include "ml/common/WeightLoader.h"

namespace waft::engine::render {

namespace {

// torchvision's vgg16().features up to relu3_3: (index, in, out) of each convolution.
constexpr int kConvs[7][3] = {{0, 3, 64},     {2, 64, 64},    {5, 64, 128},  {7, 128, 128},
                              {10, 128, 256}, {12, 256, 256}, {14, 256, 256}};

}  // namespace

Vgg16FeaturesImpl::Vgg16FeaturesImpl() {
    auto features = register_module("features", std::make_shared<torch::nn::Module>());
    for (const auto& c : kConvs)
        m_convs.push_back(features->register_module(
            std::to_string(c[0]), torch::nn::Conv2d(torch::nn::Conv2dOptions(c[1], c[2], 3).padding(1))));
}

std::vector<torch::Tensor> Vgg16FeaturesImpl::activations(const torch::Tensor& rgb) {
    const auto o = rgb.options();
    const torch::Tensor mean = torch::tensor({0.485, 0.456, 0.406}, o).view({1, 3, 1, 1});
    const torch::Tensor deviation = torch::tensor({0.229, 0.224, 0.225}, o).view({1, 3, 1, 1});
    torch::Tensor h = (rgb - mean) / deviation;
    std::vector<torch::Tensor> out;
    size_t i = 0;
    for (int block : {2, 2, 3}) {
        if (!out.empty()) h = torch::max_pool2d(h, 2);
        for (int k = 0; k < block; ++k) h = torch::relu(m_convs[i++]->forward(h));
        out.push_back(h);
    }
    return out;
}

torch::Tensor Vgg16FeaturesImpl::perceptualLoss(const torch::Tensor& a, const torch::Tensor& b) {
    const std::vector<torch::Tensor> fa = activations(a), fb = activations(b);
    torch::Tensor loss = torch::zeros({}, a.options());
    for (size_t i = 0; i < fa.size(); ++i) loss = loss + (fa[i] - fb[i]).abs().mean();
    return loss;
}

Expected<Vgg16Features> loadVgg16Features(const std::string& path, const torch::Device& device) {
    try {
        auto file = SafetensorsFile::open(path);
        if (!file) return file.status();
        Vgg16Features model;
        ml::WeightLoadOptions options;
        options.inScope = [](const std::string& name) { return name.rfind("features.", 0) == 0; };
        options.ignorable = [](const std::string&) { return true; };  // the deeper layers of a full VGG16
        auto loaded = ml::loadWeights(*model, *file, path, options);
        if (!loaded) return loaded.status();
        for (auto& p : model->parameters()) p.set_requires_grad(false);
        model->to(device);
        model->eval();
        return model;
    } catch (const std::exception& e) {
        return Status::corrupt(path + ": cannot load VGG16 (" + oneLine(e.what(), 120) + ")");
    }
}

}  // namespace waft::engine::render
