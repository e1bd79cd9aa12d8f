#pragma once
// A fill's room in the cache, reserved before it writes: the origin's head
// gives the file's length (Content-Length), and the fill reserves all it can
// add on disk before the first byte of the body; without a length it reserves
// as the file grows, a step ahead of what is written. Sits in front of the
// fill's other observer (its FillProgress) and passes every call on to it,
// so a file refused here is never served as filling. Private to src/fill.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "fill/cache_accounting.hpp"
#include "origins/origin.hpp"

namespace cache_tier::fill {

// The most a fill can add on disk, in whole blocks of `block` bytes: the file
// and one more block (the file system's index of a large file's extents), its
// metadata record (`record_bytes` long), and a block for each folder that may
// be created or grow: the temporary folder, the record's folder, the folder
// the copy goes to, and `name_folders` folders of its name that may be new.
std::uint64_t fill_footprint(std::uint64_t file_bytes, std::uint64_t record_bytes, std::size_t name_folders,
                             std::uint64_t block);

class SpaceReservation final : public origins::FetchObserver {
public:
    // Without a length, room is reserved this much at a time, and again when
    // what is written comes within kGrowthHeadroom of the end of it (more than
    // an origin writes at once: curl hands over at most 16 KiB per call).
    static constexpr std::uint64_t kGrowthStep = 1 << 20;
    static constexpr std::uint64_t kGrowthHeadroom = 256 << 10;

    SpaceReservation(CacheAccounting& accounting, std::string local_name, std::string origin_key,
                     origins::FetchObserver* next);
    ~SpaceReservation();  // gives back what it holds (the fill's copy is counted by then, if it succeeded)
    SpaceReservation(const SpaceReservation&) = delete;
    SpaceReservation& operator=(const SpaceReservation&) = delete;

    // A revalidation whose new version does not fit beside the stale copy:
    // `drop_stale_copy` removes that copy (it gives back its room), called at
    // most once, when the room is short, and the reservation is tried again.
    void make_way_by(std::function<void()> drop_stale_copy) { drop_stale_copy_ = std::move(drop_stale_copy); }

    Status on_head(const origins::FileHead& head) override;
    Status on_written(std::uint64_t total) override;

    // The fill was refused because the file cannot fit in the cache at all
    // (not because others hold the room now): it is remembered as too large.
    bool larger_than_cache() const { return larger_than_cache_; }
    std::uint64_t held() const { return held_; }

private:
    Status grow_to(std::uint64_t file_bytes);

    CacheAccounting& accounting_;
    const std::string local_name_;
    const std::string origin_key_;
    origins::FetchObserver* const next_;
    std::uint64_t record_bytes_ = 0;
    std::uint64_t file_room_ = 0;  // file bytes covered by held_
    std::uint64_t held_ = 0;       // reserved in the accounting
    bool growing_ = false;         // no length: reserved as it grows
    bool larger_than_cache_ = false;
    std::function<void()> drop_stale_copy_;
};

}  // namespace cache_tier::fill
