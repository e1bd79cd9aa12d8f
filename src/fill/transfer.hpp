#pragma once
// One origin fetch into a temporary file, renamed into place only when it is
// complete: a cached file is visible whole or not at all.
#include <atomic>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>

#include "origins/origin.hpp"

namespace cache_tier::fill {

class FillProgress;

// Lets the engine cut a transfer short at shutdown. abort() raises the flag
// transfer() hands the origin as FetchRequest::cancelled, which ends a fetch
// within about a second even while the origin sends nothing; and it points the
// worker's file descriptor at a file that refuses writes, so an origin that
// does not look at the flag fails its next write. One per worker.
class AbortSlot {
public:
    bool attach(int fd);  // false if already aborted
    bool detach();        // true if abort() came while attached
    void abort();
    const std::atomic<bool>& aborted() const { return aborted_; }

private:
    std::mutex mutex_;
    int fd_ = -1;
    std::atomic<bool> aborted_{false};
};

// Where a fill's file goes.
struct TransferTarget {
    std::filesystem::path temp_dir;  // cache_dir/.cache-tier/tmp
    int cache_dir_fd = -1;           // the cache directory
    std::string local_name;          // the copy's name beneath it
    // Given the placing to do, does it or refuses (a purge of the file came
    // meanwhile), under the engine's lock so that no purge falls between its
    // check and the rename. Null: place at once.
    std::function<Status(const std::function<Status()>& place)> guard_place;
};

// Fetch `req` into a new temporary file in target.temp_dir; on FetchStatus::ok
// check the size, fsync and place it at target.local_name beneath the cache
// directory (creating folders, following no link). Any failure, local ones
// included, comes back as the FetchResult's status and message, and leaves no
// temporary file behind.
// With `progress`, the file being written can be served while it fills (see
// FillProgress), and the placed copy gets the modification time it chose; an
// observer already in `req` (the fill's SpaceReservation) passes its calls on to it.
origins::FetchResult transfer(origins::Origin& origin, const origins::FetchRequest& req, const TransferTarget& target,
                              AbortSlot& abort_slot, FillProgress* progress = nullptr);

}  // namespace cache_tier::fill
