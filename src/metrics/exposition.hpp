#pragma once
// The Prometheus text exposition format, version 0.0.4: "# HELP" and "# TYPE"
// lines, then one sample per line, `name{label="value",...} number`.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "metrics/registry.hpp"

namespace cache_tier::metrics {

inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

using Label = std::pair<std::string_view, std::string_view>;

class Exposition {
public:
    explicit Exposition(std::string& out) : out_(out) {}

    // `type`: "counter", "gauge" or "histogram". Once per metric, before its samples.
    void family(std::string_view name, std::string_view type, std::string_view help);
    void sample(std::string_view name, std::initializer_list<Label> labels, std::uint64_t value);
    void sample(std::string_view name, std::initializer_list<Label> labels, double value);
    // A whole histogram: its _bucket samples (with le), _sum and _count.
    void histogram(std::string_view name, std::string_view help, const Histogram& h);

private:
    void begin_sample(std::string_view name, std::initializer_list<Label> labels, Label extra = {});
    std::string& out_;
};

// A double as the format writes it: shortest round-trip text, "+Inf", "NaN".
std::string format_value(double value);

}  // namespace cache_tier::metrics
