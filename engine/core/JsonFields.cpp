#include "core/JsonFields.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/JsonLimits.h"

namespace waft::engine {

using Json = nlohmann::json;

JsonFields::JsonFields(std::shared_ptr<const Json> root, const Json* node, std::string what, std::string prefix,
                       std::shared_ptr<Status> error)
    : m_root(std::move(root)),
      m_node(node),
      m_what(std::move(what)),
      m_prefix(std::move(prefix)),
      m_error(std::move(error)) {}

Expected<JsonFields> JsonFields::parse(const std::string& text, const std::string& what, size_t maxBytes,
                                       int maxDepth) {
    if (text.size() > maxBytes)
        return Status::corrupt(what + ": " + std::to_string(text.size()) + " bytes of JSON, at most " +
                               std::to_string(maxBytes) + " expected");
    if (!jsonNestingWithin(text, maxDepth))
        return Status::corrupt(what + ": JSON nested deeper than " + std::to_string(maxDepth) + " levels");
    auto root = std::make_shared<Json>(Json::parse(text, nullptr, /*allow_exceptions=*/false));
    if (root->is_discarded()) return Status::corrupt(what + ": not valid JSON");
    if (!root->is_object()) return Status::corrupt(what + ": JSON is not an object");
    const Json* node = root.get();
    return JsonFields(std::move(root), node, what, "", std::make_shared<Status>());
}

const Json* JsonFields::field(const char* key) const {
    if (!m_node || !m_error->isOk()) return nullptr;
    const auto it = m_node->find(key);
    return it == m_node->end() ? nullptr : &*it;
}

bool JsonFields::has(const char* key) const { return m_node && m_node->contains(key); }

void JsonFields::fail(const char* key, const std::string& expected, const Json& got) {
    if (!m_error->isOk()) return;
    // Never dump() a structure from a file (it recurses per level): name its type instead.
    const std::string shown = got.is_structured()
                                  ? std::string("an ") + got.type_name()
                                  : got.dump(-1, ' ', /*ensure_ascii=*/true, Json::error_handler_t::replace);
    *m_error = Status::corrupt("field '" + m_prefix + key + "' must be " + expected + ", got " +
                               (got.is_structured() ? shown : quoteForError(shown, 40)));
}

int JsonFields::integer(const char* key, int fallback, int lo, int hi) {
    const Json* v = field(key);
    if (!v) return fallback;
    const std::string expected = "an integer in " + std::to_string(lo) + ".." + std::to_string(hi);
    if (!v->is_number_integer()) {
        fail(key, expected, *v);
        return fallback;
    }
    // Compare in 64 bits (unsigned values above INT64_MAX saturate) before narrowing.
    const int64_t x = v->is_number_unsigned() ? int64_t(std::min<uint64_t>(v->get<uint64_t>(), uint64_t(INT64_MAX)))
                                              : v->get<int64_t>();
    if (x < lo || x > hi) {
        fail(key, expected, *v);
        return fallback;
    }
    return int(x);
}

double JsonFields::real(const char* key, double fallback, double lo, double hi) {
    const Json* v = field(key);
    if (!v) return fallback;
    const double x = v->is_number() ? v->get<double>() : NAN;
    if (!(x >= lo && x <= hi)) {  // also refuses NaN (nlohmann writes NaN as null, which is not a number here)
        fail(key, "a number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", *v);
        return fallback;
    }
    return x;
}

bool JsonFields::boolean(const char* key, bool fallback) {
    const Json* v = field(key);
    if (!v) return fallback;
    if (!v->is_boolean()) {
        fail(key, "true or false", *v);
        return fallback;
    }
    return v->get<bool>();
}

std::string JsonFields::string(const char* key, const std::string& fallback, size_t maxBytes) {
    const Json* v = field(key);
    if (!v) return fallback;
    if (!v->is_string() || v->get_ref<const std::string&>().size() > maxBytes) {
        fail(key, "a string of at most " + std::to_string(maxBytes) + " bytes", *v);
        return fallback;
    }
    return v->get<std::string>();
}

std::string JsonFields::choice(const char* key, const std::string& fallback, const std::vector<std::string>& choices) {
    const Json* v = field(key);
    if (!v) return fallback;
    std::string names;
    for (const std::string& c : choices) {
        if (v->is_string() && v->get_ref<const std::string&>() == c) return c;
        names += (names.empty() ? "" : ", ") + c;
    }
    fail(key, "one of " + names, *v);
    return fallback;
}

std::vector<int> JsonFields::integers(const char* key, const std::vector<int>& fallback, size_t maxCount, int lo,
                                      int hi) {
    const Json* v = field(key);
    if (!v) return fallback;
    const std::string expected = "a list of at most " + std::to_string(maxCount) + " integers in " +
                                 std::to_string(lo) + ".." + std::to_string(hi);
    if (!v->is_array() || v->size() > maxCount) {
        fail(key, expected, *v);
        return fallback;
    }
    std::vector<int> out;
    for (const Json& e : *v) {
        const int64_t x = e.is_number_integer() && !e.is_number_unsigned() ? e.get<int64_t>()
                          : e.is_number_unsigned() ? int64_t(std::min<uint64_t>(e.get<uint64_t>(), uint64_t(INT64_MAX)))
                                                   : int64_t(lo) - 1;
        if (!e.is_number_integer() || x < lo || x > hi) {
            fail(key, expected, *v);
            return fallback;
        }
        out.push_back(int(x));
    }
    return out;
}

std::vector<std::string> JsonFields::choices(const char* key, const std::vector<std::string>& fallback, size_t maxCount,
                                             const std::vector<std::string>& choices) {
    const Json* v = field(key);
    if (!v) return fallback;
    std::string expected = "a list of at most " + std::to_string(maxCount) + " of";
    for (const std::string& c : choices) expected += " '" + c + "'";
    if (!v->is_array() || v->size() > maxCount) {
        fail(key, expected, *v);
        return fallback;
    }
    std::vector<std::string> out;
    for (const Json& e : *v) {
        if (!e.is_string() || std::find(choices.begin(), choices.end(), e.get<std::string>()) == choices.end()) {
            fail(key, expected, *v);
            return fallback;
        }
        out.push_back(e.get<std::string>());
    }
    return out;
}

JsonFields JsonFields::object(const char* key) {
    const Json* v = field(key);
    if (v && !v->is_object()) {
        fail(key, "an object", *v);
        v = nullptr;
    }
    return JsonFields(m_root, v, m_what, m_prefix + key + ".", m_error);
}

Status JsonFields::status() const { return m_error->withContext(m_what); }

}  // namespace waft::engine
