#include "metrics/exposition.hpp"

#include <charconv>
#include <cmath>

namespace cache_tier::metrics {

namespace {

// HELP text escapes backslash and line feed; label values also the double quote.
void append_escaped(std::string& out, std::string_view text, bool quote) {
    for (char c : text) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (quote && c == '"') out += "\\\"";
        else out += c;
    }
}

}  // namespace

std::string format_value(double value) {
    if (std::isnan(value)) return "NaN";
    if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    return std::string(buf, end);
}

void Exposition::family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    out_ += name;
    out_ += ' ';
    append_escaped(out_, help, false);
    out_ += "\n# TYPE ";
    out_ += name;
    out_ += ' ';
    out_ += type;
    out_ += '\n';
}

void Exposition::begin_sample(std::string_view name, std::initializer_list<Label> labels, Label extra) {
    out_ += name;
    bool first = true;
    auto put = [&](const Label& l) {
        out_ += first ? '{' : ',';
        first = false;
        out_ += l.first;
        out_ += "=\"";
        append_escaped(out_, l.second, true);
        out_ += '"';
    };
    for (const Label& l : labels) put(l);
    if (!extra.first.empty()) put(extra);
    if (!first) out_ += '}';
    out_ += ' ';
}

void Exposition::sample(std::string_view name, std::initializer_list<Label> labels, std::uint64_t value) {
    begin_sample(name, labels);
    out_ += std::to_string(value);
    out_ += '\n';
}

void Exposition::sample(std::string_view name, std::initializer_list<Label> labels, double value) {
    begin_sample(name, labels);
    out_ += format_value(value);
    out_ += '\n';
}

void Exposition::histogram(std::string_view name, std::string_view help, const Histogram& h) {
    family(name, "histogram", help);
    const Histogram::Snapshot s = h.snapshot();
    const std::string base(name);
    const std::string bucket = base + "_bucket";
    for (std::size_t i = 0; i < s.cumulative.size(); ++i) {
        const std::string le = i < h.bounds().size() ? format_value(h.bounds()[i]) : "+Inf";
        begin_sample(bucket, {}, {"le", le});
        out_ += std::to_string(s.cumulative[i]);
        out_ += '\n';
    }
    sample(base + "_sum", {}, s.sum);
    sample(base + "_count", {}, s.count());
}

}  // namespace cache_tier::metrics
