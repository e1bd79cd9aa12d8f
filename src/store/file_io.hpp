#pragma once
// The small POSIX steps every durable write in the cache directory takes.
#include <cstddef>
#include <filesystem>

#include "common/result.hpp"

namespace cache_tier::store {

// Write all `size` bytes, retrying short writes and EINTR. The error says only
// why, in the system's words, with the errno as its code (EIO for a write that
// made no progress): the caller knows what it was writing and says so first
// ("writing the temporary file failed: " + message).
Status write_all(int fd, const char* data, std::size_t size);

// A rename or unlink is only durable once the folder that holds the name is synced.
void sync_directory(const std::filesystem::path& dir);

}  // namespace cache_tier::store
