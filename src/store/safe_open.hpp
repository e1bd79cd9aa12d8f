#pragma once
// Opening a name relative to a directory without ever leaving it: the one
// place both the file cache (serving) and the file:// origin open files.
#include <string>

namespace cache_tier::store {

// Open `name` (relative, no leading '/') under `dir_fd` for reading, refusing
// any path that resolves outside it: "..", absolute names, symbolic links
// that point out (openat2 RESOLVE_BENEATH). Where openat2 is missing (old
// kernels, seccomp filters, valgrind) the name is walked one segment at a
// time and every symbolic link is refused, which is stricter still.
// O_NONBLOCK, so a FIFO cannot hang the caller. Returns the fd, or -errno
// (-EXDEV or -ELOOP for a path that would leave the directory).
int open_beneath(int dir_fd, const std::string& name);

// The fallback on its own (tested directly, since this kernel has openat2):
// one segment at a time, no symbolic link followed at all.
int open_beneath_by_segments(int dir_fd, const std::string& name);

}  // namespace cache_tier::store
