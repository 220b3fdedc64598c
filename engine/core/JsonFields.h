#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/Status.h"

namespace waft::engine {

// The one way the engine reads a configuration object from untrusted JSON text (a model file's config, a
// saved job spec): size and nesting are checked before parsing, every field is read with its type and range,
// and the first problem becomes one line naming the field ("vae.safetensors: config field 'groups' must be an
// integer in 1..64, got 0"). A missing field takes its default; a present field of the wrong type or out of
// range is an error, never silently replaced. Reading stops at nothing: check status() once after reading
// all fields (later reads after an error return their defaults). Any thread; one reader per thread.
class JsonFields {
public:
    // `what` prefixes every error (a path, "job spec"); text must be a JSON object.
    static Expected<JsonFields> parse(const std::string& text, const std::string& what, size_t maxBytes = 1 << 20,
                                      int maxDepth = 16);

    bool has(const char* key) const;
    int integer(const char* key, int fallback, int lo, int hi);
    double real(const char* key, double fallback, double lo, double hi);
    bool boolean(const char* key, bool fallback);
    std::string string(const char* key, const std::string& fallback, size_t maxBytes = 4096);
    // One of `choices` (an enum's names); fallback when missing.
    std::string choice(const char* key, const std::string& fallback, const std::vector<std::string>& choices);
    std::vector<int> integers(const char* key, const std::vector<int>& fallback, size_t maxCount, int lo, int hi);
    // A list of at most maxCount strings, each one of `choices`.
    std::vector<std::string> choices(const char* key, const std::vector<std::string>& fallback, size_t maxCount,
                                     const std::vector<std::string>& choices);
    // A nested object (errors name it "outer.inner"); an empty reader, and an error if present but not an object.
    JsonFields object(const char* key);

    // The first problem met so far (ok if none), with `what` as context.
    Status status() const;

private:
    JsonFields(std::shared_ptr<const nlohmann::json> root, const nlohmann::json* node, std::string what,
               std::string prefix, std::shared_ptr<Status> error);
    const nlohmann::json* field(const char* key) const;
    void fail(const char* key, const std::string& expected, const nlohmann::json& got);

    std::shared_ptr<const nlohmann::json> m_root;  // keeps the parsed document alive for nested readers
    const nlohmann::json* m_node = nullptr;
    std::string m_what, m_prefix;
    std::shared_ptr<Status> m_error;  // shared with nested readers: the first error anywhere wins
};

}  // namespace waft::engine
