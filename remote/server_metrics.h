// ServerMetrics: what the registry measures about itself (docs/api.md#metrics names every metric),
// the access log's JSON line per request, and GET /metrics.
//
// Other parts of the server add their own metrics to `registry` under these names, so dashboards
// can rely on them: spoke_sprocket_queue_depth (gauge callback), spoke_compile_duration_seconds
// (histogram, label language), spoke_mirror_lag_seconds and
// spoke_mirror_last_sync_timestamp_seconds (gauge callbacks).
#ifndef SPOKE_REMOTE_SERVER_METRICS_H_
#define SPOKE_REMOTE_SERVER_METRICS_H_

#include <chrono>
#include <string>

#include "http_server.h"
#include "metrics.h"

namespace spoke {

struct ServerContext;

struct ServerMetrics {
  ServerMetrics();

  MetricsRegistry registry;
  CounterFamily* requests;        // spoke_http_requests_total{route,method,status}
  HistogramFamily* durations;     // spoke_http_request_duration_seconds{route,method}
  CounterFamily* request_bytes;   // spoke_http_request_bytes_total{route,method}
  CounterFamily* response_bytes;  // spoke_http_response_bytes_total{route,method}
  CounterFamily* pushes;          // spoke_pushes_total{result}
  CounterFamily* cache_hits;      // spoke_artifact_cache_hits_total{language}
  CounterFamily* cache_misses;    // spoke_artifact_cache_misses_total{language}
  // spoke_compile_duration_seconds{language,result}: compiles Sprocket ran (Server::ObserveCompile)
  HistogramFamily* compile_durations;

  // Counts one answered request; a push (POST /sync/v1/push, POST /modules/{name}/versions) is
  // counted by result: accepted (2xx), rejected (4xx) or error (5xx). Thread-safe.
  void ObserveRequest(const http::Request& req, const http::Response& res,
                      std::chrono::steady_clock::time_point answered);
  // Counts an artifact lookup of a download or compile route.
  void ObserveArtifactLookup(const std::string& language, bool hit);
};

// The access log's line for one answered request (no line end): a JSON object with time (RFC 3339
// UTC, milliseconds), client, method, route, path, status, bytes_in, bytes_out, duration_ms,
// request_id, and principal when the request carries one.
std::string RequestLogLine(const http::Request& req, const http::Response& res,
                           std::chrono::system_clock::time_point now,
                           std::chrono::steady_clock::time_point answered);

// Every answered request: counted in `metrics`, and logged on stderr when `log`.
http::Logger RequestObserver(ServerMetrics* metrics, bool log);

// GET /metrics: ctx.metrics rendered in the text exposition format.
void RegisterMetricsRoute(http::Server& http, ServerContext& ctx);

}  // namespace spoke

#endif  // SPOKE_REMOTE_SERVER_METRICS_H_
