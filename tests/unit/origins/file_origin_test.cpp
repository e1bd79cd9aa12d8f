// FileOrigin: a local directory as the origin, with names that try to leave it.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>

#include "http/http_date.hpp"
#include "origin_test_support.hpp"

namespace {

using namespace origin_test;
using cache_tier::origins::make_origin;

class FileOrigin : public ::testing::Test {
protected:
    FileOrigin() {
        ct_test::write_file(root_ / "a.bin", ct_test::random_bytes(5 << 20, 5));
        ct_test::write_file(root_ / "Show/Ep 1.mp3", "episode one");
        ct_test::write_file(outside_ / "secret.txt", "outside the origin");
        origin_ = make_origin(options_for("file://" + root_.path().string()));
    }

    Fetched fetch(const std::string& key) { return fetch_to_file(*origin_, key); }

    ct_test::TempDir root_;
    ct_test::TempDir outside_;
    std::unique_ptr<Origin> origin_;
};

TEST_F(FileOrigin, CopiesTheFileWithValidators) {
    Fetched got = fetch("a.bin");
    ASSERT_EQ(got.result.status, FetchStatus::ok) << got.result.message;
    EXPECT_EQ(got.result.bytes, 5u << 20);
    EXPECT_TRUE(same_bytes(got.body, ct_test::read_file(root_ / "a.bin")));
    struct stat st {};
    ASSERT_EQ(::stat((root_ / "a.bin").c_str(), &st), 0);
    char etag[64];
    std::snprintf(etag, sizeof etag, "\"%llx-%llx\"", static_cast<unsigned long long>(st.st_mtim.tv_sec),
                  static_cast<unsigned long long>(st.st_size));
    EXPECT_EQ(got.result.etag, etag);
    EXPECT_EQ(got.result.last_modified, cache_tier::http::format_http_date(st.st_mtim.tv_sec));
}

TEST_F(FileOrigin, NestedNamesWithSpaces) {
    Fetched got = fetch("Show/Ep 1.mp3");
    ASSERT_EQ(got.result.status, FetchStatus::ok) << got.result.message;
    EXPECT_EQ(got.body, "episode one");
}

TEST_F(FileOrigin, CopiesIntoAnAppendOnlyFileToo) {
    // copy_file_range and sendfile refuse O_APPEND targets: the read/write path takes over.
    FetchRequest req;
    req.key = "a.bin";
    Fetched got = fetch_to_file(*origin_, req, O_APPEND);
    ASSERT_EQ(got.result.status, FetchStatus::ok) << got.result.message;
    EXPECT_TRUE(same_bytes(got.body, ct_test::read_file(root_ / "a.bin")));
}

TEST_F(FileOrigin, MissingFileIsNotFound) {
    Fetched got = fetch("Show/Ep 2.mp3");
    EXPECT_EQ(got.result.status, FetchStatus::not_found);
    EXPECT_EQ(got.result.message, "origin has no file 'Show/Ep 2.mp3'");
    EXPECT_EQ(fetch("a.bin/below").result.status, FetchStatus::not_found);
}

TEST_F(FileOrigin, DirectoriesAndFifosAreNotFiles) {
    EXPECT_EQ(fetch("Show").result.status, FetchStatus::not_found);
    ASSERT_EQ(::mkfifo((root_ / "pipe").c_str(), 0600), 0);
    Fetched got = fetch("pipe");  // must not block waiting for a writer
    EXPECT_EQ(got.result.status, FetchStatus::not_found);
    EXPECT_EQ(got.result.message, "'pipe' is not a regular file");
}

TEST_F(FileOrigin, NamesLeavingTheDirectoryAreRefused) {
    std::string escape = "../" + outside_.path().filename().string() + "/secret.txt";
    for (const std::string& key : {escape, outside_.path().string() + "/secret.txt", std::string("Show/../../x")}) {
        Fetched got = fetch(key);
        EXPECT_EQ(got.result.status, FetchStatus::not_found) << key;
        EXPECT_EQ(got.body, "") << key;
    }
    EXPECT_EQ(fetch(escape).result.message, "'" + escape + "' leads outside the origin directory");
}

TEST_F(FileOrigin, SymlinksStayInside) {
    ASSERT_EQ(::symlink((outside_ / "secret.txt").c_str(), (root_ / "leak.txt").c_str()), 0);
    ASSERT_EQ(::symlink("../a.bin", (root_ / "Show/alias.bin").c_str()), 0);
    Fetched leak = fetch("leak.txt");
    EXPECT_EQ(leak.result.status, FetchStatus::not_found);
    EXPECT_EQ(leak.body, "");
    Fetched alias = fetch("Show/alias.bin");  // resolves inside the origin: fine
    EXPECT_EQ(alias.result.status, FetchStatus::ok) << alias.result.message;
}

TEST_F(FileOrigin, ValidatorsOfTheCopyAreNotModified) {
    Fetched first = fetch("a.bin");
    FetchRequest by_etag;
    by_etag.key = "a.bin";
    by_etag.validators.etag = first.result.etag;
    Fetched got = fetch_to_file(*origin_, by_etag);
    EXPECT_EQ(got.result.status, FetchStatus::not_modified);
    EXPECT_EQ(got.result.etag, first.result.etag);
    EXPECT_EQ(got.body, "");

    FetchRequest by_date;
    by_date.key = "a.bin";
    by_date.validators.last_modified = first.result.last_modified;
    EXPECT_EQ(fetch_to_file(*origin_, by_date).result.status, FetchStatus::not_modified);
}

TEST_F(FileOrigin, ChangedFileIsCopiedAgain) {
    Fetched first = fetch("Show/Ep 1.mp3");
    ct_test::write_file(root_ / "Show/Ep 1.mp3", "episode one, re-edited");
    FetchRequest req;
    req.key = "Show/Ep 1.mp3";
    req.validators.etag = first.result.etag;  // the size changed, so the ETag did
    Fetched got = fetch_to_file(*origin_, req);
    EXPECT_EQ(got.result.status, FetchStatus::ok);
    EXPECT_EQ(got.body, "episode one, re-edited");
    EXPECT_NE(got.result.etag, first.result.etag);
}

TEST_F(FileOrigin, CancelledFetchCopiesNothing) {
    std::atomic<bool> cancelled{true};
    FetchRequest req;
    req.key = "a.bin";
    req.cancelled = &cancelled;
    Fetched got = fetch_to_file(*origin_, req);
    EXPECT_EQ(got.result.status, FetchStatus::local_error);
    EXPECT_EQ(got.result.message, cache_tier::origins::kFetchCancelled);
    EXPECT_EQ(got.body.size(), 0u);
}

TEST_F(FileOrigin, OversizeIsRefusedBeforeCopying) {
    FetchRequest req;
    req.key = "a.bin";
    req.max_size = 1 << 20;
    Fetched got = fetch_to_file(*origin_, req);
    EXPECT_EQ(got.result.status, FetchStatus::too_large);
    EXPECT_EQ(got.body, "");
}

}  // namespace
