#pragma once
// The client's optional log: one line per decision on stderr. Plain stdio, so
// embedding the client does not impose a logging library on its users.
#include <string_view>

namespace cache_tier::client {

void log_line(bool enabled, std::string_view message);

}  // namespace cache_tier::client
