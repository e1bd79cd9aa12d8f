#pragma once
// The JSON a cache-tier server (or the original Python one) answers to
// GET /verify/<name>: {"available": bool, "file": "...", "error": bool,
// "error_msg": null | "..."}; more keys may follow.
#include <optional>
#include <string>
#include <string_view>

namespace cache_tier::client {

struct VerifyAnswer {
    bool available = false;
    bool error = false;
    std::string file;       // "" when the server left it out
    std::string error_msg;  // "" for null or absent
};

// nullopt when `body` is not that shape (not JSON, not an object, "available"
// missing or not a bool); `why` then says what is wrong.
std::optional<VerifyAnswer> parse_verify_answer(std::string_view body, std::string* why = nullptr);

}  // namespace cache_tier::client
