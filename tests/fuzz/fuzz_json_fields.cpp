// The checked JSON config reader (model configs, job specs): parse, then read fields of every kind.
#include <string>

#include "core/JsonFields.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto fields = waft::engine::JsonFields::parse(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
    if (!fields) return 0;
    fields->integer("model_channels", 128, 1, 8192);
    fields->real("learning_rate", 1e-4, 1e-8, 1.0);
    fields->boolean("frequency_attention", false);
    fields->string("out", "", 4096);
    fields->choice("prediction", "epsilon", {"epsilon", "v"});
    fields->integers("channel_mults", {1, 2}, 8, 1, 64);
    waft::engine::JsonFields run = fields->object("run");
    run.integer("steps", 1, 1, 10000000);
    (void)fields->status();
    return 0;
}
