#pragma once
// A response body still being written to its file (a file served while it
// fills): a connection sends what is there and waits, without polling, for
// the rest. The response's Content-Length is the file's final size.
#include <cstdint>
#include <functional>

namespace cache_tier::http {

class GrowingBody {
public:
    virtual ~GrowingBody() = default;
    // Bytes of the file on disk so far.
    virtual std::uint64_t available() const = 0;
    // The file will never be whole: a response sending it must end its
    // connection before the Content-Length it promised, so no client takes a
    // short file for the whole one.
    virtual bool failed() const = 0;
    // Call `wake` once, from any thread, when more than `offset` bytes are
    // available (enough to be worth a send) or the file failed; at once if
    // that already holds. `wake` must only post work to its own thread.
    virtual void wait_beyond(std::uint64_t offset, std::function<void()> wake) = 0;
};

}  // namespace cache_tier::http
