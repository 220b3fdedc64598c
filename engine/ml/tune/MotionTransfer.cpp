#include "ml/tune/MotionTransfer.h"

#include <nlohmann/json.hpp>

#include "core/JsonFields.h"
#include "ml/tune/MotionLosses.h"

namespace waft::engine::tune {

bool parseMotionObjective(const std::string& name, MotionObjective& out) {
    if (name == "tav") return out = MotionObjective::TuneAVideo, true;
    if (name == "vmc") return out = MotionObjective::Vmc, true;
    return false;
}

const char* motionObjectiveName(MotionObjective objective) { return objective == MotionObjective::Vmc ? "vmc" : "tav"; }

bool isTuneAVideoTrained(const std::string& name) {
    return name.find(".attn1.to_q.") != std::string::npos || name.find(".attn2.to_q.") != std::string::npos ||
           name.find(".attn_temp.") != std::string::npos;
}

torch::OrderedDict<std::string, torch::Tensor> MotionTransferMethod::prepare(sd::SdUNet& unet) {
    torch::OrderedDict<std::string, torch::Tensor> trained;
    for (const auto& p : unet->named_parameters()) {
        const bool train = isTuneAVideoTrained(p.key());
        p.value().set_requires_grad(train);
        if (train) trained.insert(p.key(), p.value());
    }
    return trained;
}

uint64_t MotionTransferMethod::baseHash(sd::SdUNet&, const torch::OrderedDict<std::string, torch::Tensor>& trained) {
    std::vector<torch::Tensor> base;
    for (const auto& t : trained)
        if (t.key().find(".attn_temp.") == std::string::npos) base.push_back(t.value());
    return hashTensors(base);
}

torch::Tensor MotionTransferMethod::loss(const TuneBatch& b, LossTerms& terms) {
    const MotionTransferOptions& o = m_options;
    torch::Tensor base = o.base == MotionObjective::Vmc ? vmcResidualLoss(b.predicted, b.noise, o.absoluteResiduals)
                                                        : (b.predicted - b.noise).pow(2).mean();
    terms.emplace_back(o.base == MotionObjective::Vmc ? "vmc" : "denoise", base.item<double>());
    torch::Tensor total = base;
    if (o.lambdaGlobal > 0.0f || o.lambdaLocal > 0.0f) {
        const int frames = int(b.clean.size(0));
        const torch::Tensor estimate = estimateCleanLatents(b.noisy, b.predicted, b.alphaBar);
        const torch::Tensor rc = frameResiduals(b.clean, o.absoluteResiduals);
        const torch::Tensor re = frameResiduals(estimate, o.absoluteResiduals);
        const double w = smaTimestepWeight(b.alphaBar);
        if (o.lambdaGlobal > 0.0f) {
            const torch::Tensor g = smaGlobalLoss(rc, re, o.levels > 0 ? o.levels : smaLevels(frames));
            terms.emplace_back("sma global", g.item<double>());
            total = total + w * o.lambdaGlobal * g;
        }
        if (o.lambdaLocal > 0.0f) {
            const SmaLocalTerms l = smaLocalLoss(rc, re, o.delta);
            terms.emplace_back("sma amplitude", l.amplitude.item<double>());
            terms.emplace_back("sma phase", l.phase.item<double>());
            total = total + w * o.lambdaLocal * l.total();
        }
    }
    return total;
}

std::string MotionTransferMethod::optionsJson() const {
    return nlohmann::json{{"base", motionObjectiveName(m_options.base)},
                          {"lambda_global", m_options.lambdaGlobal},
                          {"lambda_local", m_options.lambdaLocal},
                          {"absolute_residuals", m_options.absoluteResiduals},
                          {"levels", m_options.levels},
                          {"delta", m_options.delta},
                          {"attention", sd::frameAttentionName(m_options.attention)}}
        .dump();
}

std::unique_ptr<Job> makeMotionTransferJob(TuneParams params, MotionTransferOptions options) {
    auto method = std::make_shared<MotionTransferMethod>(options);
    const std::string spec = method->optionsJson();
    return std::make_unique<VideoTuneJob>("motion transfer", "transfer", std::move(params), method, spec);
}

Expected<std::unique_ptr<Job>> motionTransferJobFromSpec(const std::string& json) {
    auto params = tuneParamsFromJson(json);
    if (!params) return params.status();
    auto fields = JsonFields::parse(json, "job spec");
    if (!fields) return fields.status();
    JsonFields m = fields->object("method");
    MotionTransferOptions o;
    const std::string base = m.choice("base", "tav", {"tav", "vmc"});
    o.lambdaGlobal = float(m.real("lambda_global", o.lambdaGlobal, 0.0, 100.0));
    o.lambdaLocal = float(m.real("lambda_local", o.lambdaLocal, 0.0, 100.0));
    o.absoluteResiduals = m.boolean("absolute_residuals", false);
    o.levels = m.integer("levels", 0, 0, 5);
    o.delta = m.real("delta", o.delta, 1e-4, 1.0);
    const std::string attention =
        m.choice("attention", "sparse-causal", {"sparse-causal", "first-frame", "full", "per-frame"});
    WAFT_RETURN_IF_ERROR(m.status());
    WAFT_RETURN_IF_ERROR(fields->status());
    parseMotionObjective(base, o.base);
    sd::parseFrameAttention(attention, o.attention);
    return makeMotionTransferJob(*params, o);
}

}  // namespace waft::engine::tune
