#include "ml/prior/PriorTraining.h"

#include "ml/dist/Communicator.h"

namespace waft::engine::prior {

namespace {

torch::Tensor gradientL1(const torch::Tensor& a, const torch::Tensor& b) {
    const auto dx = [](const torch::Tensor& t) { return t.slice(3, 1) - t.slice(3, 0, -1); };
    const auto dy = [](const torch::Tensor& t) { return t.slice(2, 1) - t.slice(2, 0, -1); };
    return (dx(a) - dx(b)).abs().mean() + (dy(a) - dy(b)).abs().mean();
}

torch::Tensor randn(const std::vector<int64_t>& shape, torch::Generator& generator) {
    return at::normal(0.0, 1.0, shape, generator).to(torch::kFloat32);
}

// Every step draws from a generator seeded by (run seed, step index): a resumed run draws what an uninterrupted
// one would have, on any device.
void seedForStep(torch::Generator& generator, unsigned long seed, int64_t step) {
    generator.set_current_seed(uint64_t(seed) * 0x9E3779B97F4A7C15ull + uint64_t(step));
}

// This rank's rows [index * n, (index + 1) * n) of a tensor drawn for the whole global batch.
torch::Tensor shardRows(const torch::Tensor& global, const dist::Communicator* communicator, int64_t n) {
    return communicator ? global.narrow(0, communicator->rank() * n, n) : global;
}

int64_t shards(const dist::Communicator* communicator) { return communicator ? communicator->worldSize() : 1; }

// Between backward and the optimiser step: the mean gradient (and loss) over the ranks.
Status averageOverRanks(dist::Communicator* communicator, const std::vector<torch::Tensor>& parameters,
                        torch::Tensor& loss) {
    if (!communicator) return Status::ok();
    torch::Tensor mean = loss.detach();
    WAFT_RETURN_IF_ERROR(communicator->averageGradients(parameters, &mean));
    loss = mean;
    return Status::ok();
}

}  // namespace

torch::Tensor multiScaleGradientL1(const torch::Tensor& a, const torch::Tensor& b) {
    torch::Tensor sum = torch::zeros({}, b.options());
    int scales = 0;
    for (int factor : {1, 2, 4}) {
        if (b.size(2) < 2 * factor || b.size(3) < 2 * factor) break;
        sum = sum + gradientL1(factor == 1 ? a : torch::avg_pool2d(a, factor),
                               factor == 1 ? b : torch::avg_pool2d(b, factor));
        ++scales;
    }
    return scales > 0 ? sum / double(scales) : sum;
}

VaeLoss vaeLoss(const torch::Tensor& reconstruction, const torch::Tensor& target, const torch::Tensor& mean,
                const torch::Tensor& logvar, float gradientWeight, float klWeight) {
    VaeLoss loss;
    loss.l1 = (reconstruction - target).abs().mean();
    loss.gradient = multiScaleGradientL1(reconstruction, target);
    loss.kl = 0.5 * (mean.pow(2) + logvar.exp() - 1.0 - logvar).mean();
    loss.total = loss.l1 + gradientWeight * loss.gradient + klWeight * loss.kl;
    return loss;
}

EmaWeights::EmaWeights(torch::nn::Module& module, float decay) : m_decay(decay) {
    torch::NoGradGuard noGrad;
    for (const auto& p : module.named_parameters()) m_shadow[p.key()] = p.value().detach().clone();
}

void EmaWeights::update(torch::nn::Module& module) {
    torch::NoGradGuard noGrad;
    const double decay = std::min(double(m_decay), (1.0 + m_updates) / (10.0 + m_updates));
    ++m_updates;
    for (const auto& p : module.named_parameters())
        m_shadow.at(p.key()).mul_(decay).add_(p.value().detach(), 1.0 - decay);
}

void EmaWeights::copyTo(torch::nn::Module& module) const {
    torch::NoGradGuard noGrad;
    for (auto& p : module.named_parameters()) p.value().copy_(m_shadow.at(p.key()));
}

VaeTrainer::VaeTrainer(MotionVae model, TrainParams params)
    : m_model(std::move(model)),
      m_params(params),
      m_optimizer(m_model->parameters(),
                  torch::optim::AdamWOptions(params.learningRate).weight_decay(params.weightDecay)),
      m_ema(*m_model, params.emaDecay),
      m_generator(at::detail::createCPUGenerator(params.seed)) {
    m_model->train();
}

Expected<VaeLoss> VaeTrainer::step(const torch::Tensor& batch) {
    const torch::Tensor slices = batch.to(m_params.compute.device);
    dist::Communicator* communicator = m_params.communicator;
    VaeLoss loss;
    {
        AutocastScope autocast(m_params.compute);
        const auto [mean, logvar] = m_model->encode(slices);
        seedForStep(m_generator, m_params.seed, m_step++);
        std::vector<int64_t> shape = mean.sizes().vec();
        shape[0] *= shards(communicator);
        const torch::Tensor noise = shardRows(randn(shape, m_generator), communicator, mean.size(0));
        const torch::Tensor z = mean + torch::exp(0.5 * logvar) * noise.to(mean.device(), mean.scalar_type());
        loss = vaeLoss(m_model->decode(z).to(torch::kFloat32), slices, mean.to(torch::kFloat32),
                       logvar.to(torch::kFloat32));
    }
    m_optimizer.zero_grad();
    loss.total.backward();
    WAFT_RETURN_IF_ERROR(averageOverRanks(communicator, m_model->parameters(), loss.total));
    m_optimizer.step();
    m_ema.update(*m_model);
    return loss;
}

DenoiserTrainer::DenoiserTrainer(DenoiserUNet model, TrainParams params, int stage)
    : m_model(std::move(model)),
      m_params(params),
      m_schedule(NoiseSchedule::scaledLinear()),
      m_ema(*m_model, params.emaDecay),
      m_generator(at::detail::createCPUGenerator(params.seed)) {
    std::vector<torch::Tensor> trainable;
    if (stage == 2) {
        for (auto& p : m_model->parameters()) p.set_requires_grad(false);
        trainable = m_model->frequencyAttentionParameters();
        for (auto& p : trainable) p.set_requires_grad(true);
    } else {
        trainable = m_model->parameters();
    }
    m_optimizer = std::make_unique<torch::optim::AdamW>(
        trainable, torch::optim::AdamWOptions(params.learningRate).weight_decay(params.weightDecay));
    m_model->train();
}

Expected<torch::Tensor> DenoiserTrainer::step(const torch::Tensor& latents, const torch::Tensor& conditions) {
    const torch::Device device = m_params.compute.device;
    dist::Communicator* communicator = m_params.communicator;
    const int64_t b = latents.size(0), k = latents.size(1), h = latents.size(3), w = latents.size(4);
    const int64_t global = b * shards(communicator);
    const torch::Tensor x0 = latents.reshape({b * k, latents.size(2), h, w}).to(device);
    // One timestep per sample, shared by its K slices (they are denoised together). Random numbers come from the
    // seeded CPU generator on every device, so a seed means the same noise everywhere.
    seedForStep(m_generator, m_params.seed, m_step++);
    const torch::Tensor t =
        shardRows(at::randint(0, m_schedule.steps(), {global}, m_generator, torch::kLong), communicator, b);
    const torch::Tensor abar = m_schedule.alphasCumprod.index_select(0, t)
                                   .to(torch::kFloat32)
                                   .repeat_interleave(k)
                                   .view({-1, 1, 1, 1})
                                   .to(device);
    std::vector<int64_t> shape = x0.sizes().vec();
    shape[0] = global * k;
    const torch::Tensor noise = shardRows(randn(shape, m_generator), communicator, b * k).to(device);
    const torch::Tensor xt = abar.sqrt() * x0 + (1.0 - abar).sqrt() * noise;
    const torch::Tensor keep =
        (shardRows(at::rand({global}, m_generator), communicator, b) >= m_params.conditionDropout)
            .to(torch::kFloat32)
            .view({-1, 1, 1, 1})
            .to(device);
    const torch::Tensor cond = (conditions.to(device) * keep).repeat_interleave(k, 0);
    const torch::Tensor frequency = torch::arange(k, torch::kLong).repeat({b}).to(device);
    torch::Tensor loss;
    {
        AutocastScope autocast(m_params.compute);
        const torch::Tensor predicted =
            m_model->forward(xt, t.repeat_interleave(k).to(device), frequency, cond, int(k));
        loss = torch::mse_loss(predicted.to(torch::kFloat32),
                               predictionTarget(m_model->config.prediction, x0, noise, abar));
    }
    m_optimizer->zero_grad();
    loss.backward();
    WAFT_RETURN_IF_ERROR(averageOverRanks(communicator, m_model->parameters(), loss));
    m_optimizer->step();
    m_ema.update(*m_model);
    return loss.detach();
}

}  // namespace waft::engine::prior
