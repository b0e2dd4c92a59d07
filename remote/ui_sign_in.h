// Reading the web UI of a registry that needs a token for reads (--read-auth). A browser cannot
// add an Authorization header to a link it follows, so the UI asks for the token once, on an HTML
// page, and keeps it in a cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's
// page sends it), Secure on an HTTPS server. The gate (auth.cc) takes the cookie for reads only,
// never for writes, so a page another site makes a browser load can at most read.
#ifndef SPOKE_REMOTE_UI_SIGN_IN_H_
#define SPOKE_REMOTE_UI_SIGN_IN_H_

#include <string>

#include "routes.h"

namespace spoke::ui {

// The cookie that carries a reader's token.
inline constexpr char kTokenCookie[] = "spoke_token";

// The token in the request's Cookie header (kTokenCookie), or "".
std::string TokenFromCookie(const http::Request& req);

// Whether `path` is one of the UI's pages (they answer a missing token with the sign-in page
// rather than the API's JSON 401).
bool IsUiPage(const std::string& path);

// The sign-in page, 401, for a request to `path` that needs a token; `problem` says why, when the
// reader gave one that was refused ("" the first time).
void SendSignInPage(http::Response& res, const std::string& path, const std::string& problem);

// POST /ui/token and GET /ui/token (routes_ui.cc): the form's token is checked and kept in the
// cookie, and the reader sent back where they were going.
void RegisterSignInRoutes(http::Server& http, ServerContext& ctx);

}  // namespace spoke::ui

#endif  // SPOKE_REMOTE_UI_SIGN_IN_H_
