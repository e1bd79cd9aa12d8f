#include "fill/space_reservation.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include <fmt/core.h>

#include "store/metadata.hpp"

namespace cache_tier::fill {

std::uint64_t fill_footprint(std::uint64_t file_bytes, std::uint64_t record_bytes, std::size_t name_folders,
                             std::uint64_t block) {
    return whole_blocks(file_bytes, block) + block + whole_blocks(record_bytes, block) + (3 + name_folders) * block;
}

SpaceReservation::SpaceReservation(CacheAccounting& accounting, std::string local_name, std::string origin_key,
                                   origins::FetchObserver* next)
    : accounting_(accounting), local_name_(std::move(local_name)), origin_key_(std::move(origin_key)), next_(next) {}

SpaceReservation::~SpaceReservation() { accounting_.release(held_); }

Status SpaceReservation::on_head(const origins::FileHead& head) {
    if (accounting_.active()) {
        // The record the fill will save, with its numbers at their longest: an upper bound of its length.
        const store::FileMeta longest{head.etag, head.last_modified, std::numeric_limits<std::uint64_t>::max(),
                                      std::numeric_limits<std::int64_t>::min(), origin_key_};
        record_bytes_ = store::format_record(local_name_, longest).size();
        growing_ = !head.length;
        if (Status room = grow_to(head.length.value_or(kGrowthStep)); !room) return room;
    }
    return next_ ? next_->on_head(head) : Status{};
}

Status SpaceReservation::on_written(std::uint64_t total) {
    if (growing_ && total + kGrowthHeadroom > file_room_) {
        if (Status room = grow_to(std::max(total + kGrowthHeadroom, file_room_ + kGrowthStep)); !room) return room;
    }
    return next_ ? next_->on_written(total) : Status{};
}

Status SpaceReservation::grow_to(std::uint64_t file_bytes) {
    const auto folders = static_cast<std::size_t>(std::count(local_name_.begin(), local_name_.end(), '/'));
    const std::uint64_t footprint = fill_footprint(file_bytes, record_bytes_, folders, accounting_.block_size());
    if (accounting_.larger_than_cache(footprint)) {
        larger_than_cache_ = true;
        return Error{fmt::format("file is larger than the cache (max_cache_size {} bytes)", accounting_.limit())};
    }
    const std::uint64_t more = footprint - held_;
    Status reserved = accounting_.reserve(more);
    if (!reserved && drop_stale_copy_) {
        // The old version would be replaced anyway; until then both would
        // have to fit, which a hard cap cannot allow.
        std::exchange(drop_stale_copy_, nullptr)();
        reserved = accounting_.reserve(more);
    }
    if (!reserved) return reserved;
    held_ = footprint;
    file_room_ = file_bytes;
    return {};
}

}  // namespace cache_tier::fill
