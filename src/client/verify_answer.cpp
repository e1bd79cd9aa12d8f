#include "client/verify_answer.hpp"

#include <nlohmann/json.hpp>

namespace cache_tier::client {

std::optional<VerifyAnswer> parse_verify_answer(std::string_view body, std::string* why) {
    const auto fail = [&](const char* reason) -> std::optional<VerifyAnswer> {
        if (why) *why = reason;
        return std::nullopt;
    };
    // No exceptions: a garbage answer is an expected event, not an error path.
    const nlohmann::json json = nlohmann::json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
    if (json.is_discarded()) return fail("answer is not JSON");
    if (!json.is_object()) return fail("answer is not a JSON object");

    const auto available = json.find("available");
    if (available == json.end() || !available->is_boolean()) return fail("answer has no boolean \"available\"");

    VerifyAnswer answer;
    answer.available = available->get<bool>();
    if (auto it = json.find("error"); it != json.end() && it->is_boolean()) answer.error = it->get<bool>();
    if (auto it = json.find("file"); it != json.end() && it->is_string()) answer.file = it->get<std::string>();
    if (auto it = json.find("error_msg"); it != json.end() && it->is_string())
        answer.error_msg = it->get<std::string>();
    return answer;
}

}  // namespace cache_tier::client
