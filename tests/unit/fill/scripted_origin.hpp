#pragma once
// An in-process origin for the fill engine's unit tests: each key answers as
// the test scripted it (a body, 404, 500, a short body, a timeout, a 304 when
// the validators match), and a key can be held at a gate until the test opens
// it, so "a fill is running" needs no sleep and no process.
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "origins/origin.hpp"
#include "store/file_io.hpp"

namespace fill_test {

using cache_tier::origins::FetchRequest;
using cache_tier::origins::FetchResult;
using cache_tier::origins::FetchStatus;

struct Script {
    FetchStatus status = FetchStatus::ok;
    int http_status = 200;
    std::string body;          // written for ok (and, cut short, for short_body)
    std::string etag;          // a conditional request with this If-None-Match gets a 304
    std::string message;       // the one-line message of a failure
    std::string answer;        // the origin's status and reason phrase, for failures ("404 Not Found")
    std::string origin_code;   // the origin's own reason (S3's <Code>)
    bool held = false;         // wait at the gate until open_gate()
    bool held_mid_body = false;  // write half the body, then wait at the gate
    std::string last_modified;
    bool no_length = false;    // a head without Content-Length; the body written 64 KiB at a time
};

class ScriptedOrigin final : public cache_tier::origins::Origin {
public:
    // The script is shared with the test, which may change it between fetches.
    struct State {
        std::mutex mutex;
        std::condition_variable gate_opened;
        std::condition_variable arrived;  // a fetch reached the gate
        std::map<std::string, Script> scripts;
        std::vector<FetchRequest> requests;  // every fetch, in order
        int waiting_at_gate = 0;
        bool gate_open = false;

        void set(const std::string& key, Script script) {
            std::lock_guard lock(mutex);
            scripts[key] = std::move(script);
        }
        void open_gate() {
            std::lock_guard lock(mutex);
            gate_open = true;
            gate_opened.notify_all();
        }
        // Until `n` fetches wait at the gate (a condition, not a sleep); false after `timeout`.
        bool wait_at_gate(int n, std::chrono::milliseconds timeout) {
            std::unique_lock lock(mutex);
            return arrived.wait_for(lock, timeout, [&] { return waiting_at_gate >= n; });
        }
        int count(const std::string& key) {
            std::lock_guard lock(mutex);
            int n = 0;
            for (const auto& r : requests) n += r.key == key ? 1 : 0;
            return n;
        }
        std::vector<FetchRequest> all_requests() {
            std::lock_guard lock(mutex);
            return requests;
        }
    };

    explicit ScriptedOrigin(std::shared_ptr<State> state) : state_(std::move(state)) {}

    FetchResult fetch(const FetchRequest& req, int out_fd) override {
        Script script;
        {
            std::unique_lock lock(state_->mutex);
            state_->requests.push_back(req);
            auto it = state_->scripts.find(req.key);
            if (it == state_->scripts.end()) {
                script.status = FetchStatus::not_found;
                script.http_status = 404;
                script.message = "origin answered 404 Not Found";
                script.answer = "404 Not Found";
            } else {
                script = it->second;
            }
        }
        if (script.held) wait_at_gate();
        FetchResult result;
        result.status = script.status;
        result.http_status = script.http_status;
        result.message = script.message;
        result.answer = script.answer;
        result.origin_code = script.origin_code;
        if (script.status == FetchStatus::ok && !script.etag.empty() && req.validators.etag == script.etag) {
            result.status = FetchStatus::not_modified;
            result.http_status = 304;
            result.etag = script.etag;
            return result;
        }
        // Without a length, an origin only finds out while it sends (here: never; the observer may stop it).
        if (script.status == FetchStatus::ok && !script.no_length && req.max_size > 0 &&
            script.body.size() > req.max_size) {
            result.status = FetchStatus::too_large;
            result.message = "origin file is " + std::to_string(script.body.size()) + " bytes, over the limit of " +
                             std::to_string(req.max_size);
            return result;
        }
        if (script.status == FetchStatus::ok || script.status == FetchStatus::short_body) {
            const std::string& body = script.body;
            const std::size_t sent = script.status == FetchStatus::ok ? body.size() : body.size() / 2;
            if (req.observer) {
                std::optional<std::uint64_t> length;
                if (!script.no_length) length = body.size();
                auto go = req.observer->on_head({length, script.etag, script.last_modified});
                if (!go.ok()) {
                    result.status = FetchStatus::local_error;
                    result.message = go.error().message;
                    return result;
                }
            }
            const std::size_t first = script.held_mid_body ? std::min(sent, body.size() / 2) : sent;
            const std::size_t step = script.no_length ? 64 * 1024 : sent + 1;
            std::size_t at = 0;
            cache_tier::Status written;
            for (; written.ok() && at < first; at = std::min(first, at + step))
                written = write_part(out_fd, req, body.data(), at, std::min(first, at + step));
            if (written.ok() && script.held_mid_body) wait_at_gate();
            for (; written.ok() && at < sent; at = std::min(sent, at + step))
                written = write_part(out_fd, req, body.data(), at, std::min(sent, at + step));
            if (!written.ok()) {
                result.status = FetchStatus::local_error;
                result.message = written.error().message;
                return result;
            }
            result.bytes = sent;
            result.etag = script.etag;
            result.last_modified = script.last_modified;
        }
        return result;
    }

    std::string public_url(std::string_view key) const override { return "http://origin.test/" + std::string(key); }
    std::string describe() const override { return "scripted origin"; }

private:
    void wait_at_gate() {
        std::unique_lock lock(state_->mutex);
        ++state_->waiting_at_gate;
        state_->arrived.notify_all();
        state_->gate_opened.wait(lock, [&] { return state_->gate_open; });
        --state_->waiting_at_gate;
    }
    // Bytes [from, to) of the body, told to the observer as they land.
    static cache_tier::Status write_part(int fd, const FetchRequest& req, const char* body, std::size_t from,
                                         std::size_t to) {
        if (to <= from) return {};
        if (auto w = cache_tier::store::write_all(fd, body + from, to - from); !w.ok()) return w;
        return req.observer ? req.observer->on_written(to) : cache_tier::Status{};
    }

    std::shared_ptr<State> state_;
};

}  // namespace fill_test
