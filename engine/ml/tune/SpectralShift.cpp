#include "ml/tune/SpectralShift.h"

#include <cstring>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "core/JsonFields.h"
#include "ml/tune/MotionTransfer.h"

namespace waft::engine::tune {

namespace {

std::mutex g_svdMutex;
std::map<uint64_t, SpectralFactors> g_svdCache;  // by the matrix's content hash, on the CPU
constexpr size_t kMaxCachedFactors = 256;        // SD 1.5 has 32 query projections

}  // namespace

SpectralFactors spectralFactors(const torch::Tensor& weight, bool* cached) {
    const torch::Tensor w = weight.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    const uint64_t key = hashTensors({w});
    {
        std::lock_guard<std::mutex> lock(g_svdMutex);
        if (const auto it = g_svdCache.find(key); it != g_svdCache.end()) {
            if (cached) *cached = true;
            return it->second;
        }
    }
    torch::NoGradGuard noGrad;
    auto [u, s, vh] = torch::linalg_svd(w, /*full_matrices=*/false);
    SpectralFactors f{u.contiguous(), s.contiguous(), vh.contiguous()};
    std::lock_guard<std::mutex> lock(g_svdMutex);
    if (g_svdCache.size() >= kMaxCachedFactors) g_svdCache.clear();
    g_svdCache[key] = f;
    if (cached) *cached = false;
    return f;
}

size_t spectralCacheSize() {
    std::lock_guard<std::mutex> lock(g_svdMutex);
    return g_svdCache.size();
}

void clearSpectralCache() {
    std::lock_guard<std::mutex> lock(g_svdMutex);
    g_svdCache.clear();
}

torch::Tensor shiftedWeight(const SpectralFactors& f, const torch::Tensor& delta) {
    return torch::matmul(f.u * torch::relu(f.sigma + delta).unsqueeze(0), f.vh);
}

torch::Tensor spectralRegulariser(const SpectralFactors& factors, const torch::Tensor& delta) {
    return (delta * factors.sigma * delta).sum();
}

bool isSaveQuery(const std::string& name) {
    const auto ends = [&](const char* suffix) {
        const size_t n = std::strlen(suffix);
        return name.size() >= n && name.compare(name.size() - n, n, suffix) == 0;
    };
    return ends(".attn1.to_q") || ends(".attn2.to_q");
}

torch::OrderedDict<std::string, torch::Tensor> SpectralShiftMethod::prepare(sd::SdUNet& unet) {
    for (auto& p : unet->parameters()) p.set_requires_grad(false);
    torch::OrderedDict<std::string, torch::Tensor> trained;
    m_queries.clear();
    for (const auto& m : unet->named_modules()) {
        if (!isSaveQuery(m.key())) continue;
        Query q;
        q.name = m.key();
        auto linear = std::dynamic_pointer_cast<torch::nn::LinearImpl>(m.value());
        if (!linear) continue;  // only linear query projections are factored
        q.linear = torch::nn::Linear(linear);
        q.original = q.linear->weight;
        if (m_options.fullTune) {
            q.original.set_requires_grad(true);
            trained.insert(q.name + ".weight", q.original);
        } else {
            const SpectralFactors f = spectralFactors(q.original);
            const auto device = q.original.device();
            q.factors = {f.u.to(device), f.sigma.to(device), f.vh.to(device)};  // once: they stay there
            q.delta = torch::zeros_like(q.factors.sigma).requires_grad_(true);
            trained.insert(q.name + ".delta", q.delta);
        }
        m_queries.push_back(std::move(q));
    }
    if (m_options.trainTemporal)
        for (const auto& p : unet->named_parameters())
            if (p.key().find(".attn_temp.") != std::string::npos) {
                p.value().set_requires_grad(true);
                trained.insert(p.key(), p.value());
            }
    m_trainedNumbers = 0;
    for (const auto& t : trained) m_trainedNumbers += t.value().numel();
    return trained;
}

uint64_t SpectralShiftMethod::baseHash(sd::SdUNet&, const torch::OrderedDict<std::string, torch::Tensor>&) {
    std::vector<torch::Tensor> originals;
    for (const Query& q : m_queries) originals.push_back(q.original);
    return hashTensors(originals);
}

void SpectralShiftMethod::refresh(sd::SdUNet&) {
    if (m_options.fullTune) return;  // the registered weights train themselves
    // The linear layers compute with their `weight` member: pointing it at Ŵ (differentiable in δ while grads
    // are on) leaves the base's registered parameter untouched.
    for (Query& q : m_queries) q.linear->weight = shiftedWeight(q.factors, q.delta);
}

torch::Tensor SpectralShiftMethod::loss(const TuneBatch& b, LossTerms& terms) {
    const torch::Tensor denoise = (b.predicted - b.noise).pow(2).mean();
    terms.emplace_back("denoise", denoise.item<double>());
    if (m_options.fullTune || m_options.lambda <= 0.0f) return denoise;
    torch::Tensor reg;
    for (const Query& q : m_queries) {
        const torch::Tensor term = spectralRegulariser(q.factors, q.delta);
        reg = reg.defined() ? reg + term : term;
    }
    terms.emplace_back("regulariser", reg.item<double>());
    return denoise + m_options.lambda * reg;
}

std::string SpectralShiftMethod::optionsJson() const {
    return nlohmann::json{{"lambda", m_options.lambda},
                          {"train_temporal", m_options.trainTemporal},
                          {"full_tune", m_options.fullTune},
                          {"attention", sd::frameAttentionName(m_options.attention)}}
        .dump();
}

TuneParams editDefaults(TuneParams p) {
    const TuneParams d;
    if (p.steps == d.steps) p.steps = 300;
    if (p.learningRate == d.learningRate) p.learningRate = 1e-3f;
    if (p.guidance == d.guidance) p.guidance = 10.0f;
    return p;
}

std::unique_ptr<Job> makeEditJob(TuneParams params, EditOptions options) {
    auto method = std::make_shared<SpectralShiftMethod>(options);
    const std::string spec = method->optionsJson();
    return std::make_unique<VideoTuneJob>("text-driven edit", "edit", std::move(params), method, spec);
}

Expected<std::unique_ptr<Job>> editJobFromSpec(const std::string& json) {
    auto params = tuneParamsFromJson(json);
    if (!params) return params.status();
    auto fields = JsonFields::parse(json, "job spec");
    if (!fields) return fields.status();
    JsonFields m = fields->object("method");
    EditOptions o;
    o.lambda = float(m.real("lambda", o.lambda, 0.0, 100.0));
    o.trainTemporal = m.boolean("train_temporal", o.trainTemporal);
    o.fullTune = m.boolean("full_tune", false);
    const std::string attention =
        m.choice("attention", "first-frame", {"sparse-causal", "first-frame", "full", "per-frame"});
    WAFT_RETURN_IF_ERROR(m.status());
    WAFT_RETURN_IF_ERROR(fields->status());
    sd::parseFrameAttention(attention, o.attention);
    return makeEditJob(*params, o);
}

}  // namespace waft::engine::tune
