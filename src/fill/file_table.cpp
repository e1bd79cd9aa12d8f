#include "fill/file_table.hpp"

namespace cache_tier::fill {

const Miss* Entry::miss_of(std::string_view key, steady::time_point now) const {
    for (const Miss& miss : misses)
        if (miss.key == key && now < miss.until) return &miss;
    return nullptr;
}

void Entry::remember_miss(Miss miss) {
    std::erase_if(misses, [&](const Miss& m) { return m.key == miss.key; });
    if (misses.size() >= kMaxMissesPerFile) misses.erase(misses.begin());
    misses.push_back(std::move(miss));
}

bool Entry::forgettable(steady::time_point now) const {
    return phase == Phase::idle && !meta && !counted && retry_at <= now &&
           std::all_of(misses.begin(), misses.end(), [now](const Miss& m) { return m.until <= now; });
}

Entry* FileTable::Locked::find(const std::string& local) {
    auto it = shard_.entries.find(local);
    return it == shard_.entries.end() ? nullptr : &it->second;
}

Entry& FileTable::Locked::get(const std::string& local, steady::time_point now) {
    if (Entry* entry = find(local)) return *entry;
    if (shard_.entries.size() >= shard_.sweep_at) {
        std::erase_if(shard_.entries, [now](const auto& item) { return item.second.forgettable(now); });
        shard_.sweep_at = std::max<std::size_t>(1024, shard_.entries.size() * 2);
    }
    return shard_.entries.try_emplace(local).first->second;
}

}  // namespace cache_tier::fill
