#!/usr/bin/env python3
"""A soak of the real `cache-tier serve`: mixed traffic for --duration seconds
(CI: 600) against tests/fakes/misbehaving_origin.py, whose plain paths are a
good origin and whose behaviour paths (partial, encoded, stall, slowreset,
excess, ...) misbehave. Hits, ranges, conditionals, /verify, /download and
misses of new files run from several client processes while new files appear
at the origin and the cache evicts. Every failure is classified: one the
origin caused (a stream cut short because the origin cut or stalled its
answer, a fill that failed) or ours (anything else, including any wrong byte
served). RSS and open descriptors are sampled every 10 s and must stay flat:
the last minute's median at most the first two minutes' largest + 10 %.

Usage: soak.py [--duration S] [--clients N]
Results: tests/reliability/ct_results.py (category "soak").
"""

import argparse
import json
import multiprocessing
import os
import random
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ct_results  # noqa: E402
import ct_serve  # noqa: E402

HOT = {"h%d.bin" % i: size for i, size in enumerate([1, 100, 4096, 16384, 65536, 262144, 1 << 20, 2 << 20])}
# Names whose first segment picks a misbehaviour of the fake origin, and
# whether that answer is (despite the behaviour) the whole file, which may be cached.
BAD = {"partial": False, "encoded": False, "stall": False, "slowreset": False, "reset": False, "short": False,
       "error500": False, "status/503": False, "twolengths": False, "lengthlist": False, "ranged200": False,
       "notfound": False, "excess": True, "samelengths": True, "nolength": True, "redirect": True}
NEW_SIZE = 131072
SAMPLE_EVERY = 10.0
RECENT = 30         # new files still asked for
RECONNECT_EVERY = 50  # requests on one connection
THINK_TIME = 0.002  # between a client's requests: load, not a CPU hog of a shared CI machine


def file_bytes(root, name):
    with open(os.path.join(root, name), "rb") as f:
        return f.read()


class Tally:
    def __init__(self):
        self.requests, self.ours, self.origin = {}, {}, {}
        self.examples = []

    def count(self, op):
        self.requests[op] = self.requests.get(op, 0) + 1

    def ours_error(self, op, what):
        key = "%s: %s" % (op, what)
        self.ours[key] = self.ours.get(key, 0) + 1
        if len(self.examples) < 20:
            self.examples.append(key)

    def origin_error(self, what):
        self.origin[what] = self.origin.get(what, 0) + 1


def client_loop(port, origin_root, end, new_count, seed, out):
    rng = random.Random(seed)
    hot = {name: file_bytes(origin_root, name) for name in HOT}
    bad_source = file_bytes(origin_root, "b.bin")
    etags = {}
    tally = Tally()
    client = ct_serve.Client(port, timeout=30)

    def get(op, target, headers=None):
        tally.count(op)
        return client.request(target, headers)

    def check_whole(op, r, expected, name):
        if r is None:
            tally.ours_error(op, "no answer for %s (%s)" % (name, client.last_error))
        elif r.status != 200:
            tally.ours_error(op, "%d for %s" % (r.status, name))
        elif r.body != expected:
            tally.ours_error(op, "wrong bytes for %s" % name)
        else:
            etags[name] = r.headers.get("etag")

    ops = 0
    while time.monotonic() < end:
        time.sleep(THINK_TIME)
        ops += 1
        if ops % RECONNECT_EVERY == 0:
            # New connections land on either server thread: both keep their
            # open-file caches warm, and closing and accepting are soaked too.
            client.close()
        op = rng.choices(["hit", "range", "conditional", "verify", "download", "miss", "bad"],
                         [30, 15, 10, 15, 10, 10, 10])[0]
        name = rng.choice(list(HOT))
        if op == "hit":
            check_whole(op, get(op, "/static/files_cache/" + name), hot[name], name)
        elif op == "range":
            body = hot[name]
            first = rng.randrange(len(body))
            last = min(len(body) - 1, first + rng.randrange(1, 100000))
            r = get(op, "/static/files_cache/" + name, {"Range": "bytes=%d-%d" % (first, last)})
            if r is None or r.status != 206 or r.body != body[first:last + 1] or \
                    r.headers.get("content-range") != "bytes %d-%d/%d" % (first, last, len(body)):
                tally.ours_error(op, "bad range answer for %s: %s" % (name, r.status if r else client.last_error))
        elif op == "conditional":
            if not etags.get(name):
                check_whole("hit", get("hit", "/static/files_cache/" + name), hot[name], name)
                continue
            r = get(op, "/static/files_cache/" + name, {"If-None-Match": etags[name]})
            if r is None or r.status != 304:
                tally.ours_error(op, "%s for %s with its ETag" % (r.status if r else client.last_error, name))
        elif op in ("verify", "download"):
            kind = rng.choice(["hot", "new", "bad"])
            if kind == "hot":
                target_name = name
            elif kind == "new":
                # Among the recent ones: a working set that moves on, as
                # podcasts' do, instead of one that grows all the run long.
                target_name = "n%d.bin" % max(0, new_count.value - 1 - rng.randrange(RECENT))
            else:
                target_name = rng.choice(list(BAD)) + "/b.bin"
            r = get(op, "/%s/%s" % (op, target_name))
            if r is None:
                tally.ours_error(op, "no answer (%s)" % client.last_error)
            elif op == "download" and r.status != 302:
                tally.ours_error(op, "%d for %s" % (r.status, target_name))
            elif op == "verify":
                try:
                    answer = json.loads(r.body)
                except ValueError:
                    answer = None
                if r.status != 200 or not isinstance(answer, dict):
                    tally.ours_error(op, "%d, not JSON, for %s" % (r.status, target_name))
                elif kind == "hot" and answer.get("available") is not True:
                    tally.ours_error(op, "hot file %s not available: %s" % (target_name, r.body[:200]))
                elif kind == "bad" and answer.get("error"):
                    tally.origin_error("fill failed: " + target_name.rsplit("/", 1)[0])
        elif op == "miss":
            # The newest files: asked for, then fetched while they fill or once cached.
            k = max(0, new_count.value - 1 - rng.randrange(3))
            new = "n%d.bin" % k
            get(op, "/verify/" + new)
            r = get(op, "/static/files_cache/" + new)
            if r is None:
                tally.ours_error(op, "no answer for %s (%s)" % (new, client.last_error))
            elif r.status == 200:
                if r.body != file_bytes(origin_root, new):
                    tally.ours_error(op, "wrong bytes for %s" % new)
            elif r.status != 404:  # 404: not published yet
                tally.ours_error(op, "%d for %s" % (r.status, new))
        elif op == "bad":
            behaviour = rng.choice(list(BAD))
            target_name = behaviour + "/b.bin"
            get(op, "/verify/" + target_name)
            r = get(op, "/static/files_cache/" + target_name)
            if r is None:
                if client.last_error == "closed mid-body" and not BAD[behaviour]:
                    tally.origin_error("stream cut short: " + behaviour)
                else:
                    tally.ours_error(op, "%s for %s" % (client.last_error, target_name))
            elif r.status == 200:
                if r.body != bad_source:
                    tally.ours_error(op, "wrong bytes served for %s" % target_name)
            elif r.status != 404:
                tally.ours_error(op, "%d for %s" % (r.status, target_name))
    client.close()
    out.put(tally.__dict__)


def flat(samples, duration, index):
    """Flat: the median of the last minute's samples is at most the largest of
    the first two minutes' + 10 %. Descriptors swing with the fills and the
    open-file cache from one sample to the next; a leak shows in any statistic
    of the end, a swing only in a single sample. Returns (flat, median, limit)."""
    warm = min(120.0, duration / 3)
    early = [s[index] for s in samples if s[0] <= warm]
    late = sorted(s[index] for s in samples if s[0] >= samples[-1][0] - min(60.0, duration / 3))
    limit = max(early) * 1.10
    median = late[len(late) // 2]
    return median <= limit, median, limit


RESULTS = ct_results.Recorder("soak", "soak.py")
record = RESULTS.record


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=600)
    parser.add_argument("--clients", type=int, default=3)
    args = parser.parse_args()
    ct_serve.raise_fd_limit(4096)
    work = ct_serve.Workdir()
    for name, size in HOT.items():
        ct_serve.write_random(work.origin, name, size)
    ct_serve.write_random(work.origin, "b.bin", 262144)
    new_count = multiprocessing.Value("i", 0)

    def add_new_file():
        ct_serve.write_random(work.origin, "n%d.bin" % new_count.value, NEW_SIZE)
        new_count.value += 1

    add_new_file()
    origin = ct_serve.Origin(work.origin, work.logs)
    server = ct_serve.Server(work.cache, ["--origin", origin.base_url(), "--max-cache-size", str(24 << 20),
                                          "--fill-workers", "4"], work.logs,
                             config={"origin_low_speed_time": 3, "retry_min": 1, "retry_max": 4})
    ok = False
    try:
        for name in HOT:
            if not server.wait_cached(name):
                raise RuntimeError("%s was not cached" % name)
        start = time.monotonic()
        end = start + args.duration
        queue = multiprocessing.Queue()
        clients = [multiprocessing.Process(target=client_loop, args=(server.port, work.origin, end, new_count,
                                                                     i + 1, queue)) for i in range(args.clients)]
        for c in clients:
            c.start()
        samples = []
        next_sample, next_file = start, start
        while time.monotonic() < end:
            now = time.monotonic()
            if now >= next_sample:
                samples.append((round(now - start, 1), round(server.rss_mib(), 1), server.open_fds()))
                next_sample += SAMPLE_EVERY
            if now >= next_file:
                add_new_file()  # a new file every half second: a steady stream of misses
                next_file += 0.5
            time.sleep(max(0.0, min(next_sample, next_file, end) - time.monotonic()))
        samples.append((round(time.monotonic() - start, 1), round(server.rss_mib(), 1), server.open_fds()))
        fd_kinds = server.fd_kinds()
        tallies = [queue.get(timeout=120) for _ in clients]
        for c in clients:
            c.join(30)
        running = server.proc.running()

        requests, ours, origin_caused, examples = {}, {}, {}, []
        for t in tallies:
            for src, dst in ((t["requests"], requests), (t["ours"], ours), (t["origin"], origin_caused)):
                for k, v in src.items():
                    dst[k] = dst.get(k, 0) + v
            examples += t["examples"]
        total = sum(requests.values())
        n_ours = sum(ours.values())
        minutes = args.duration / 60
        results = [record(
            "soak-errors", "errors the origin did not cause", n_ours, "errors", "0",
            n_ours == 0 and running,
            "%.0f min, %d clients, %d requests (%s); origin-caused: %s%s" % (
                minutes, args.clients, total, ", ".join("%s %d" % kv for kv in sorted(requests.items())),
                ", ".join("%s %d" % kv for kv in sorted(origin_caused.items())) or "none",
                "; ours: " + "; ".join(examples[:5]) if n_ours else ""),
            errors_ours=ours, errors_origin=origin_caused, requests=requests)]
        rss_ok, rss_end, rss_limit = flat(samples, args.duration, 1)
        fds_ok, fds_end, fds_limit = flat(samples, args.duration, 2)
        series = lambda i: " ".join(str(s[i]) for s in samples)  # noqa: E731
        target = "<= first 2 minutes' max + 10 %% (%s)"
        results.append(record(
            "soak-rss", "server RSS, median of the last minute (sampled every 10 s)", rss_end, "MiB",
            target % ("%.1f MiB" % rss_limit), rss_ok,
            "first %.1f, max %.1f MiB; every 10 s: %s" % (samples[0][1], max(s[1] for s in samples), series(1)),
            samples=samples))
        results.append(record(
            "soak-descriptors", "server open descriptors, median of the last minute", fds_end, "fds",
            target % ("%.0f" % fds_limit), fds_ok,
            "first %d, max %d; every 10 s: %s" % (samples[0][2], max(s[2] for s in samples), series(2))
            # What grew, when something did.
            + ("" if fds_ok else "; at the end: " + ", ".join(
                "%s %d" % (kind.replace(work.path + "/", ""), n)
                for kind, n in sorted(fd_kinds.items(), key=lambda kv: -kv[1])))))
        ok = all(results)
    finally:
        server.proc.popen.kill()
        server.proc.popen.wait()
        origin.proc.stop(5)
    work.finish(ok)
    if not ok:
        print(server.proc.stderr_text()[-3000:])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
