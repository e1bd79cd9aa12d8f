#pragma once
// The small POSIX steps every durable write in the cache directory takes.
#include <cstddef>
#include <filesystem>

namespace cache_tier::store {

// Write all `size` bytes, retrying short writes and EINTR. Returns 0 or the errno.
int write_all(int fd, const char* data, std::size_t size);

// A rename or unlink is only durable once the folder that holds the name is synced.
void sync_directory(const std::filesystem::path& dir);

}  // namespace cache_tier::store
