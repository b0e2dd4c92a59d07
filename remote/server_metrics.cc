// The registry's own metrics, the access log line, and GET /metrics (server_metrics.h).
#include "server_metrics.h"

#include <cstdio>
#include <ctime>

#include "routes.h"
#include "spoke/json.h"
#include "spoke_version.h"

namespace spoke {
namespace {

// Bytes that crossed the wire as a body: a HEAD answer sends none.
uint64_t BytesOut(const http::Request& req, const http::Response& res) {
  return req.method == "HEAD" ? 0 : res.body.size();
}

// A route label that stays bounded: the matched route's name, or "unmatched" for a 404 or 405.
std::string RouteLabel(const http::Request& req) {
  return req.route.empty() ? "unmatched" : req.route;
}

bool IsPush(const http::Request& req) {
  return req.method == "POST" &&
         (req.route == "/sync/v1/push" || req.route == "/modules/{name}/versions");
}

std::string FormatTimeMillis(std::chrono::system_clock::time_point now) {
  auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
  std::time_t seconds = static_cast<std::time_t>(millis.count() / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[96];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis.count() % 1000));
  return text;
}

}  // namespace

ServerMetrics::ServerMetrics() {
  // kVersionLine is "spoke <version>".
  const std::string version = std::string(kVersionLine).substr(std::string("spoke ").size());
  registry
      .AddGauge("spoke_build_info", "The running spoke-server's version (always 1)", {"version"})
      ->Set({version}, 1);
  // Connections are counted by each listener; the callbacks are added by the server, which owns
  // them (spoke_http_connections_open{listener}).
  requests = registry.AddCounter("spoke_http_requests_total",
                                 "HTTP requests answered, by route pattern, method and status",
                                 {"route", "method", "status"});
  durations = registry.AddHistogram(
      "spoke_http_request_duration_seconds",
      "Time from a request's parsed head to its answer sent, by route pattern and method",
      {"route", "method"});
  request_bytes = registry.AddCounter("spoke_http_request_bytes_total",
                                      "Request body bytes received", {"route", "method"});
  response_bytes = registry.AddCounter("spoke_http_response_bytes_total",
                                       "Response body bytes sent", {"route", "method"});
  pushes = registry.AddCounter("spoke_pushes_total",
                               "Pushes (sync protocol and REST uploads) by result", {"result"});
  cache_hits = registry.AddCounter("spoke_artifact_cache_hits_total",
                                   "Artifact lookups the cache answered", {"language"});
  cache_misses = registry.AddCounter("spoke_artifact_cache_misses_total",
                                     "Artifact lookups that had to compile", {"language"});
  // Compiles take from a tenth of a second to minutes: wider buckets than a request's.
  compile_durations = registry.AddHistogram(
      "spoke_compile_duration_seconds", "Compiles Sprocket ran, by language and result",
      {"language", "result"}, {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300});
}

void ServerMetrics::ObserveRequest(const http::Request& req, const http::Response& res,
                                   std::chrono::steady_clock::time_point answered) {
  const std::string route = RouteLabel(req);
  requests->Add({route, req.method, std::to_string(res.status)});
  durations->Observe({route, req.method},
                     std::chrono::duration<double>(answered - req.received).count());
  request_bytes->Add({route, req.method}, req.body_size);
  response_bytes->Add({route, req.method}, BytesOut(req, res));
  if (IsPush(req)) {
    pushes->Add({res.status < 400 ? "accepted" : res.status < 500 ? "rejected" : "error"});
  }
}

void ServerMetrics::ObserveArtifactLookup(const std::string& language, bool hit) {
  (hit ? cache_hits : cache_misses)->Add({language});
}

std::string RequestLogLine(const http::Request& req, const http::Response& res,
                           std::chrono::system_clock::time_point now,
                           std::chrono::steady_clock::time_point answered) {
  Json line = Json::MakeObject();
  line.Set("time", FormatTimeMillis(now));
  line.Set("client", req.remote_addr);
  line.Set("method", req.method);
  line.Set("route", RouteLabel(req));
  line.Set("path", req.path);
  line.Set("status", static_cast<int64_t>(res.status));
  line.Set("bytes_in", static_cast<int64_t>(req.body_size));
  line.Set("bytes_out", static_cast<int64_t>(BytesOut(req, res)));
  line.Set("request_id", req.request_id);
  // Who the gate found the request to come from (a token's name), when it carried one.
  if (!req.principal.empty()) line.Set("principal", req.principal);
  // duration_ms last, written here in microsecond precision: Json::Dump writes every digit of a
  // double (0.19400000000000001), which is noise in a log.
  int64_t micros =
      std::chrono::duration_cast<std::chrono::microseconds>(answered - req.received).count();
  char duration[48];
  std::snprintf(duration, sizeof(duration), ",\"duration_ms\":%lld.%03lld}",
                static_cast<long long>(micros / 1000), static_cast<long long>(micros % 1000));
  std::string text = line.Dump();
  text.pop_back();  // the object's closing brace
  return text + duration;
}

http::Logger RequestObserver(ServerMetrics* metrics, bool log) {
  return [metrics, log](const http::Request& req, const http::Response& res) {
    auto answered = std::chrono::steady_clock::now();
    metrics->ObserveRequest(req, res, answered);
    if (!log) return;
    // One write per line, so lines of concurrent requests never interleave.
    std::string line = RequestLogLine(req, res, std::chrono::system_clock::now(), answered) + "\n";
    std::fwrite(line.data(), 1, line.size(), stderr);
  };
}

void RegisterMetricsRoute(http::Server& http, ServerContext& ctx) {
  http.Get("/metrics", [&ctx](const http::Request&, http::Response& res) {
    res.set_content(ctx.metrics->registry.Render(), kMetricsContentType);
  });
}

}  // namespace spoke
