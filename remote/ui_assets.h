// The web UI's stylesheet and script, compiled into the binary (no build step, nothing on disk).
// Each is named by its content's hash: pages link it as /ui/assets/NAME?v=HASH, so a new binary
// with a changed asset busts every cache, and the asset route can let caches keep it for a year.
#ifndef SPOKE_REMOTE_UI_ASSETS_H_
#define SPOKE_REMOTE_UI_ASSETS_H_

#include <string>
#include <string_view>

namespace spoke::ui {

struct Asset {
  std::string_view name;          // "spoke.css"
  std::string_view content_type;  // "text/css; charset=utf-8"
  std::string_view body;
  std::string hash;  // the first 16 hex digits of the body's SHA-256: its ETag and URL version
};

// The asset called `name`, or nullptr. Thread-safe; the hashes are computed once.
const Asset* FindAsset(std::string_view name);

// "/ui/assets/NAME?v=HASH". REQUIRES: FindAsset(name) is not null.
std::string AssetUrl(std::string_view name);

}  // namespace spoke::ui

#endif  // SPOKE_REMOTE_UI_ASSETS_H_
