#include "CliArgs.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace waft::app {

using engine::Expected;
using engine::Status;

Status CliArgs::parse(const std::vector<std::string>& args) {
    m_flags.insert("--help");
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "-h") {
            m_setFlags.insert("--help");
        } else if (a.size() > 1 && a[0] == '-' && !(a.size() > 1 && (std::isdigit(a[1]) || a[1] == '.'))) {
            if (m_flags.count(a)) {
                m_setFlags.insert(a);
            } else if (m_valueOptions.count(a)) {
                if (i + 1 >= args.size()) return Status::invalid("option " + a + " needs a value");
                m_values[a] = args[++i];
                m_all[a].push_back(m_values[a]);
            } else {
                return Status::invalid("unknown option " + a + " (see --help)");
            }
        } else {
            m_positionals.push_back(a);
        }
    }
    return Status::ok();
}

std::string CliArgs::string(const std::string& name, const std::string& fallback) const {
    const auto it = m_values.find(name);
    return it == m_values.end() ? fallback : it->second;
}

Expected<int> CliArgs::integer(const std::string& name, int fallback, int lo, int hi) const {
    const auto it = m_values.find(name);
    if (it == m_values.end()) return fallback;
    char* end = nullptr;
    const long v = std::strtol(it->second.c_str(), &end, 10);
    if (end == it->second.c_str() || *end != '\0' || v < lo || v > hi)
        return Status::invalid(name + " must be an integer in " + std::to_string(lo) + ".." + std::to_string(hi) +
                               ", got '" + it->second + "'");
    return int(v);
}

Expected<float> CliArgs::real(const std::string& name, float fallback, float lo, float hi) const {
    const auto it = m_values.find(name);
    if (it == m_values.end()) return fallback;
    char* end = nullptr;
    const float v = std::strtof(it->second.c_str(), &end);
    if (end == it->second.c_str() || *end != '\0' || !std::isfinite(v) || v < lo || v > hi) {
        char range[64];  // %g: "[0.01, 600]", not std::to_string's "[0.010000, 600.000000]"
        std::snprintf(range, sizeof range, "[%g, %g]", double(lo), double(hi));
        return Status::invalid(name + " must be a number in " + range + ", got '" + it->second + "'");
    }
    return v;
}

Expected<std::pair<float, float>> CliArgs::pair(const std::string& name, char separator) const {
    const auto it = m_values.find(name);
    if (it == m_values.end()) return Status::invalid(name + " is required");
    const std::string& s = it->second;
    const size_t cut = s.find(separator);
    const std::string example = separator == 'x' ? "WxH" : "A,B";
    if (cut == std::string::npos) return Status::invalid(name + " must look like " + example + ", got '" + s + "'");
    char* end = nullptr;
    const std::string first = s.substr(0, cut), second = s.substr(cut + 1);
    const float a = std::strtof(first.c_str(), &end);
    const bool okA = end != first.c_str() && *end == '\0';
    const float b = std::strtof(second.c_str(), &end);
    const bool okB = end != second.c_str() && *end == '\0';
    if (!okA || !okB || !std::isfinite(a) || !std::isfinite(b))
        return Status::invalid(name + " must look like " + example + ", got '" + s + "'");
    return std::make_pair(a, b);
}

std::vector<std::string> CliArgs::all(const std::string& name) const {
    const auto it = m_all.find(name);
    return it == m_all.end() ? std::vector<std::string>() : it->second;
}

Expected<std::vector<float>> CliArgs::numbers(const std::string& name, const std::string& text, size_t count) {
    std::vector<float> out;
    bool ok = true;
    size_t start = 0;
    for (;;) {
        const size_t cut = text.find(',', start);
        const std::string part = text.substr(start, cut == std::string::npos ? std::string::npos : cut - start);
        char* end = nullptr;
        const float v = std::strtof(part.c_str(), &end);
        ok = ok && end != part.c_str() && *end == '\0' && std::isfinite(v) && out.size() < count;
        if (!ok) break;
        out.push_back(v);
        if (cut == std::string::npos) break;
        start = cut + 1;
    }
    if (!ok || out.size() != count)
        return Status::invalid(name + " needs " + std::to_string(count) + " comma-separated numbers, got '" + text +
                               "'");
    return out;
}

}  // namespace waft::app
