#pragma once
// Opening, placing and removing names relative to a directory without ever
// leaving it: the one place the file cache (serving), the fill engine (what is
// cached, placing and evicting copies) and the file:// origin touch names.
#include <cstdint>
#include <optional>
#include <string>

#include "common/result.hpp"
#include "common/unique_fd.hpp"

namespace cache_tier::store {

// Open `name` (relative, no leading '/') under `dir_fd` for reading, refusing
// any path that resolves outside it: "..", absolute names, symbolic links
// that point out (openat2 RESOLVE_BENEATH). Where openat2 is missing (old
// kernels, seccomp filters, valgrind) the name is walked one segment at a
// time and every symbolic link is refused, which is stricter still.
// O_NONBLOCK, so a FIFO cannot hang the caller. The error's code is the errno
// (EXDEV or ELOOP for a path that would leave the directory); only a failure
// builds a message, so a successful open allocates nothing.
Result<UniqueFd> open_beneath(int dir_fd, const std::string& name);

// The fallback on its own (tested directly, since this kernel has openat2):
// one segment at a time, no symbolic link followed at all.
Result<UniqueFd> open_beneath_by_segments(int dir_fd, const std::string& name);

// The size of the regular file that open_beneath would serve at `name`, or
// nothing when it would refuse it (missing, not a regular file, leading out of
// the directory, unreadable). What the routes answer and what the fill engine
// believes is cached are the same because they ask the same question.
std::optional<std::uint64_t> servable_size(int dir_fd, const std::string& name);

// Rename `from_name` in `from_dir_fd` to `name` under `dir_fd`, creating the
// missing folders of `name` (mode 0755) one segment at a time and refusing to
// pass through any symbolic link, so a link placed in the cache directory can
// never make a fill write outside it. The folder that receives the name is
// fsynced, so the rename is durable. The error's code is the errno (ELOOP or
// ENOTDIR for a path through a link or a file).
Status rename_beneath(int from_dir_fd, const std::string& from_name, int dir_fd, const std::string& name);

// Remove `name` under `dir_fd` (never through a symbolic link) and fsync its
// folder. The error's code is the errno (ENOENT when there is nothing to remove).
Status unlink_beneath(int dir_fd, const std::string& name);

// The cache directory removed under a running server, or its disk unmounted
// and mounted again: a descriptor opened at start then holds a directory no
// path reaches, and would serve and fill it for good. When a directory other
// than the one `dir_fd` holds is at `path`, it is opened and put in place of
// the old one under the same descriptor number (dup3), so every holder of the
// number reaches it at once; true when that happened. An error when nothing
// is at `path` (the old directory stays in use: what it holds open serves on)
// or the new one cannot be opened.
Result<bool> reattach_directory(int dir_fd, const std::string& path);

}  // namespace cache_tier::store
