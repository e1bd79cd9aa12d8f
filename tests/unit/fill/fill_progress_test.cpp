// A fill as readers see it while it runs: published once the head gives a
// length, readers woken as the writer advances (in steps worth a send), and
// every reader woken when it ends, failed or whole. No threads, no sleeps.
#include "fill/fill_progress.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>

#include "support/manual_clock.hpp"

namespace cache_tier::fill {
namespace {

UniqueFd readable_fd() { return UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC)); }

TEST(FillProgress, IsPublishedOnlyWithALengthAndAFile) {
    FillProgress no_file(system_clock());
    ASSERT_TRUE(no_file.on_head({1000, "\"e\"", ""}).ok());
    EXPECT_FALSE(no_file.published());

    FillProgress no_length(system_clock());
    no_length.attach_file(readable_fd());
    ASSERT_TRUE(no_length.on_head({std::nullopt, "", ""}).ok());
    EXPECT_FALSE(no_length.published());

    FillProgress known(system_clock());
    known.attach_file(readable_fd());
    ASSERT_TRUE(known.on_head({1000, "\"e\"", "Sun, 06 Nov 1994 08:49:37 GMT"}).ok());
    EXPECT_TRUE(known.published());
    EXPECT_EQ(known.size(), 1000u);
    EXPECT_EQ(known.mtime(), 784111777);  // the origin's Last-Modified, which the served validators come from
}

TEST(FillProgress, AReaderIsWokenOnceAStepWorthSendingIsWritten) {
    FillProgress progress(system_clock());
    progress.attach_file(readable_fd());
    ASSERT_TRUE(progress.on_head({1 << 20, "", ""}).ok());
    int woken = 0;
    progress.wait_beyond(0, [&] { ++woken; });
    EXPECT_TRUE(progress.on_written(1000).ok());
    EXPECT_EQ(woken, 0);  // less than a step: not worth a wake-up
    EXPECT_TRUE(progress.on_written(FillProgress::kWakeStep).ok());
    EXPECT_EQ(woken, 1);
    EXPECT_TRUE(progress.on_written(FillProgress::kWakeStep * 3).ok());
    EXPECT_EQ(woken, 1);  // once per wait
    EXPECT_EQ(progress.available(), FillProgress::kWakeStep * 3);
}

TEST(FillProgress, WaitingForWhatIsThereWakesAtOnce) {
    FillProgress progress(system_clock());
    progress.attach_file(readable_fd());
    ASSERT_TRUE(progress.on_head({1 << 20, "", ""}).ok());
    EXPECT_TRUE(progress.on_written(5000).ok());
    int woken = 0;
    progress.wait_beyond(4999, [&] { ++woken; });
    EXPECT_EQ(woken, 1);
}

TEST(FillProgress, TheEndOfTheFileIsEnoughNearTheEnd) {
    FillProgress progress(system_clock());
    progress.attach_file(readable_fd());
    ASSERT_TRUE(progress.on_head({100, "", ""}).ok());
    int woken = 0;
    progress.wait_beyond(50, [&] { ++woken; });
    EXPECT_TRUE(progress.on_written(100).ok());
    EXPECT_EQ(woken, 1);
}

TEST(FillProgress, EveryReaderIsWokenWhenTheFillFails) {
    FillProgress progress(system_clock());
    progress.attach_file(readable_fd());
    ASSERT_TRUE(progress.on_head({1 << 20, "", ""}).ok());
    int woken = 0;
    for (int i = 0; i < 3; ++i) progress.wait_beyond(static_cast<std::uint64_t>(i) * 10, [&] { ++woken; });
    progress.finish(false);
    EXPECT_EQ(woken, 3);
    EXPECT_TRUE(progress.failed());
    // A reader arriving after the failure is told at once.
    progress.wait_beyond(0, [&] { ++woken; });
    EXPECT_EQ(woken, 4);
}

TEST(FillProgress, AWholeFillWakesTheReadersAndIsNotFailed) {
    FillProgress progress(system_clock());
    progress.attach_file(readable_fd());
    ASSERT_TRUE(progress.on_head({10, "", ""}).ok());
    int woken = 0;
    progress.wait_beyond(0, [&] { ++woken; });
    EXPECT_TRUE(progress.on_written(10).ok());
    progress.finish(true);
    EXPECT_EQ(woken, 1);
    EXPECT_FALSE(progress.failed());
}

// The copy's time: the origin's Last-Modified, else the head's arrival, and
// never later than a second before it (so never later than any Date sent).
TEST(FillProgress, TheCopysTimeIsTheOriginsOrJustBeforeNow) {
    ct_test::ManualClock clock;
    const std::int64_t now = clock.unix_seconds();
    auto mtime_for = [&](const std::string& last_modified) {
        FillProgress progress(clock);
        progress.attach_file(readable_fd());
        EXPECT_TRUE(progress.on_head({10, "", last_modified}).ok());
        return progress.mtime();
    };
    EXPECT_EQ(mtime_for("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
    EXPECT_EQ(mtime_for(""), now - 1);
    EXPECT_EQ(mtime_for("not a date"), now - 1);
    EXPECT_EQ(mtime_for("Fri, 01 Jan 2100 00:00:00 GMT"), now - 1);  // an origin clock set wrong
}

}  // namespace
}  // namespace cache_tier::fill
