// A mirror's routes (docs/api.md#mirrors): the change notice its primary sends, and what
// GET /health/ready says about its progress.
#include "mirror.h"
#include "routes.h"
#include "wire.h"

namespace spoke {

Json MirrorHealthJson(const MirrorSync& mirror) {
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  const MirrorState state = mirror.State();
  Json body = Json::MakeObject();
  body.Set("primary", state.primary);
  body.Set("sync_interval_seconds",
           static_cast<int64_t>(duration_cast<seconds>(state.interval).count()));
  const bool synced = state.syncs > 0;
  const auto since_epoch = state.last_successful_sync.time_since_epoch();
  body.Set("last_successful_sync",
           synced ? Json(FormatTime(duration_cast<seconds>(since_epoch).count())) : Json());
  body.Set("seconds_since_last_successful_sync",
           synced
               ? Json(static_cast<int64_t>(duration_cast<seconds>(std::chrono::system_clock::now() -
                                                                  state.last_successful_sync)
                                               .count()))
               : Json());
  body.Set("lag_ms", static_cast<int64_t>(state.lag.count()));
  body.Set("last_error", state.last_error);
  body.Set("consecutive_failures", state.consecutive_failures);
  body.Set("syncs", state.syncs);
  body.Set("failed_syncs", state.failed_syncs);
  body.Set("notices", state.notices);
  return body;
}

void RegisterMirrorRoutes(http::Server& http, ServerContext& ctx) {
  // A notice carries nothing but the fact of a change, and costs at most one queued sync however
  // often it comes (MirrorSync::Notify coalesces), so it needs no token.
  http.Post(wire::kNotifyPath, QueryRoute(), [&ctx](const http::Request&, http::Response& res) {
    if (!ctx.mirror) {
      return SendError(res, Status::NotFound("this registry is not a mirror (no --mirror-of); "
                                             "change notices go to mirrors"));
    }
    ctx.mirror->Notify();
    Json body = Json::MakeObject();
    body.Set("status", "sync queued");
    SendJson(res, body, 202);
  });
}

}  // namespace spoke
