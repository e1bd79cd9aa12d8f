// GET /: the status page. Plain HTML with a little inline CSS and script, no
// external resource: it fetches /status.json every 5 seconds and shows the
// cache at a glance. Text from the server (file names, error messages) goes
// into the page only through textContent, never as HTML.
#include "routes/routes.hpp"

namespace cache_tier::routes {

namespace {

constexpr std::string_view kHead = R"html(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>cache-tier</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4f6f8;color:#1d2630}
header{background:#1d2630;color:#fff;padding:14px 28px;display:flex;align-items:center;gap:16px}
header h1{font-size:20px;margin:0;font-weight:600}
#state{padding:3px 10px;border-radius:12px;font-size:13px;background:#5c6b7a}
#state.ready{background:#2e8540}#state.down{background:#c0392b}
#traffic{font-size:13px;color:#dbe3ea}
#updated{margin-left:auto;font-size:13px;color:#b8c4cf}
main{padding:20px 28px;max-width:1200px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(250px,1fr));gap:14px}
.card{background:#fff;border-radius:8px;padding:14px 16px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.card .label{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:#5c6b7a}
.card .value{font-size:26px;font-weight:600;margin-top:4px;font-variant-numeric:tabular-nums}
.card .sub{font-size:12px;color:#5c6b7a;margin-top:2px}
h2{font-size:16px;margin:26px 0 8px}
table{border-collapse:collapse;width:100%;background:#fff;border-radius:8px;overflow:hidden;box-shadow:0 1px 2px rgba(0,0,0,.08)}
th,td{text-align:left;padding:7px 12px;border-bottom:1px solid #e6eaee;font-size:13px;vertical-align:top}
th{background:#eef1f4;font-weight:600}
td.name{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
.empty{color:#7a8896;font-style:italic}
code{background:#e6eaee;padding:1px 5px;border-radius:4px}
ul.endpoints{background:#fff;border-radius:8px;padding:12px 32px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
</style></head>
<body>
<header><h1>cache-tier</h1><span id="state">loading</span><span id="traffic"><span id="connections">-</span> open connections, <span id="requests">-</span> requests since the start</span><span id="updated"></span></header>
<main>
<div class="cards">
<div class="card"><div class="label">Files cached</div><div class="value" id="files">-</div><div class="sub" id="evictions"></div></div>
<div class="card"><div class="label">Bytes cached</div><div class="value" id="cached-bytes">-</div></div>
<div class="card"><div class="label">Hit ratio (requests)</div><div class="value" id="hit-ratio">-</div><div class="sub" id="hit-counts"></div></div>
<div class="card"><div class="label">Hit ratio (bytes)</div><div class="value" id="byte-hit-ratio">-</div></div>
<div class="card"><div class="label">Origin bytes saved</div><div class="value" id="bytes-served">-</div><div class="sub">served from this cache</div></div>
<div class="card"><div class="label">Origin cost saved</div><div class="value" id="cost-saved">-</div><div class="sub" id="price"></div></div>
<div class="card"><div class="label">Fetched from origin</div><div class="value" id="origin-bytes">-</div></div>
<div class="card"><div class="label">Fills in progress</div><div class="value" id="fills-running">-</div><div class="sub" id="fills-sub"></div></div>
</div>
<h2>Fills in progress</h2>
<table><thead><tr><th>File</th><th>Received</th><th>Size</th></tr></thead><tbody id="fills"></tbody></table>
<h2>Recent fill errors</h2>
<table><thead><tr><th>Time</th><th>File</th><th>Reason</th><th>Message</th></tr></thead><tbody id="errors"></tbody></table>
<h2>Endpoints</h2>
<ul class="endpoints">
<li><code>GET /verify/&lt;name&gt;</code>: is the file cached? JSON; starts a fill if not.</li>
<li><code>GET /download/&lt;name&gt;</code>: redirect to the local copy, or to the origin while it fills.</li>
)html";

constexpr std::string_view kTail = R"html(<li><code>GET /status.json</code>: the numbers on this page; <code>GET /metrics</code>: Prometheus metrics.</li>
<li><code>GET /healthz</code>: the process serves; <code>GET /readyz</code>: the cache directory is writable and the origin reachable.</li>
</ul>
</main>
<script>
"use strict";
const $ = id => document.getElementById(id);
function show(id, text, raw) {
  const el = $(id);
  el.textContent = text;
  if (raw !== undefined) el.dataset.value = raw === null ? "" : String(raw);
}
function bytes(n) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0, v = n;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return (i === 0 ? String(v) : v.toFixed(v < 10 ? 2 : 1)) + " " + units[i];
}
const percent = r => r === null ? "-" : (100 * r).toFixed(1) + " %";
function row(body, cells) {
  const tr = document.createElement("tr");
  for (const [text, cls] of cells) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
  }
  body.appendChild(tr);
}
function table(id, items, columns, emptyText) {
  const body = $(id);
  body.replaceChildren();
  if (items.length === 0) { row(body, [[emptyText, "empty"]]); body.firstChild.firstChild.colSpan = columns; return; }
  return body;
}
function render(s) {
  const state = $("state");
  state.textContent = s.ready ? "ready" : "not ready: " + s.not_ready_reason;
  state.className = s.ready ? "ready" : "down";
  show("files", s.cache.files === null ? "-" : s.cache.files.toLocaleString("en-US"), s.cache.files);
  show("evictions", s.cache.evictions + " evicted since the start");
  show("cached-bytes", s.cache.bytes === null ? "-" : bytes(s.cache.bytes), s.cache.bytes);
  show("hit-ratio", percent(s.hit_ratio), s.hit_ratio);
  show("hit-counts", s.hits + " hits, " + s.streams + " streamed, " + s.misses + " misses");
  $("hit-counts").dataset.hits = s.hits; $("hit-counts").dataset.streams = s.streams; $("hit-counts").dataset.misses = s.misses;
  show("byte-hit-ratio", percent(s.byte_hit_ratio), s.byte_hit_ratio);
  show("bytes-served", bytes(s.bytes_served), s.bytes_served);
  const cost = s.origin_cost_saved;
  show("cost-saved", "$" + (cost > 0 && cost < 0.01 ? cost.toPrecision(2) : cost.toFixed(2)), cost);
  show("price", "at $" + s.origin_price_per_gb + " per GB (2^30 bytes)");
  show("origin-bytes", bytes(s.origin_bytes), s.origin_bytes);
  show("fills-running", String(s.fills.running), s.fills.running);
  show("fills-sub", s.fills.queued + " queued; " + s.fills.succeeded + " done, " + s.fills.failed + " failed");
  show("connections", String(s.open_connections), s.open_connections);
  show("requests", String(s.requests), s.requests);
  const fills = table("fills", s.fills.in_progress, 3, "no fill running");
  if (fills) for (const f of s.fills.in_progress)
    row(fills, [[f.name, "name"], [bytes(f.written)], [f.size === null ? "unknown yet" : bytes(f.size)]]);
  const errors = table("errors", s.recent_errors, 4, "no fill failed since the start");
  if (errors) for (const e of s.recent_errors.slice().reverse())
    row(errors, [[new Date(e.at * 1000).toLocaleString()], [e.name, "name"], [e.reason], [e.message]]);
  show("updated", "updated " + new Date().toLocaleTimeString());
}
async function refresh() {
  try {
    const r = await fetch("/status.json", {cache: "no-store"});
    render(await r.json());
  } catch (e) {
    $("state").textContent = "no answer from the server";
    $("state").className = "down";
  }
}
refresh();
setInterval(refresh, 5000);
</script>
</body></html>
)html";

}  // namespace

void handle_index(const http::Request&, http::Response& out, const RouteOptions& options) {
    out.add_header("Content-Type", "text/html; charset=utf-8");
    out.add_header("Cache-Control", "no-cache");
    // The prefix comes from the operator's configuration, not from a request,
    // but is still escaped for HTML.
    out.body.append(kHead);
    out.body.append("<li><code>GET ")
        .append(http::escape_header_value(options.static_prefix))
        .append("&lt;name&gt;</code>: the cached file (ranges and conditional requests).</li>\n");
    out.body.append(kTail);
}

}  // namespace cache_tier::routes
