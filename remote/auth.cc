// Who may do what: the server's gate (a route's access level against the request's token) and
// the module check of write routes. Tokens and scopes are spoke/tokens.h's; docs/api.md describes
// the answers (401, 403).
#include "routes.h"
#include "spoke/refs.h"
#include "ui_sign_in.h"

namespace spoke {
namespace {

// The token the request carries ("Authorization: Bearer <token>"), or "".
std::string BearerToken(const http::Request& req) {
  const std::string auth = req.get_header_value("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (auth.size() <= kBearer.size() || auth.compare(0, kBearer.size(), kBearer) != 0) return "";
  return auth.substr(kBearer.size());
}

void Unauthorized(http::Response& res, const std::string& message) {
  SendError(res, Status::PermissionDenied(message));
  res.status = 401;
  res.set_header("WWW-Authenticate", "Bearer");
}

void Forbidden(http::Response& res, const std::string& missing) {
  SendError(res, Status::PermissionDenied("this token lacks the scope " + missing +
                                          "; create one with `spoke-server token create --scope " +
                                          missing + "`"));
}

// The record of `token` (the request's), or an error with the 401 (none, unknown) or 500
// (unreadable token file) in `res`. `what` says what needs it ("writes", "reads").
Result<TokenRecord> Authenticate(const ServerContext& ctx, const std::string& token,
                                 const std::string& what, http::Response& res) {
  if (token.empty()) {
    Unauthorized(res, "this registry needs a token for " + what + "; set SPOKE_TOKEN");
    return Status::PermissionDenied("no token");
  }
  auto found = ctx.tokens->Find(token);
  if (!found.ok()) {
    if (found.status().code() == Status::Code::kNotFound) {
      Unauthorized(res, "the token is not valid for this registry (unknown or revoked)");
    } else {
      SendError(res, found.status());
    }
  }
  return found;
}

// The modules a ref of a push belongs to: "" for a ref of no module (an artifact's), which only
// an unlimited write scope may push.
std::string ModuleOfRef(const std::string& ref) {
  std::string module, version;
  if (ParseVersionTagRef(ref, &module, &version)) return module;
  if (ParseModuleBranchRef(ref, &module)) return module;
  constexpr std::string_view kMeta = "refs/meta/", kRecord = "/_record";
  if (ref.size() > kMeta.size() + kRecord.size() && ref.compare(0, kMeta.size(), kMeta) == 0 &&
      ref.compare(ref.size() - kRecord.size(), kRecord.size(), kRecord) == 0)
    return ref.substr(kMeta.size(), ref.size() - kMeta.size() - kRecord.size());
  return "";
}

// A write to a read-only server: a mirror names its primary, where the write belongs.
void RefuseReadOnly(const ServerContext& ctx, http::Response& res) {
  if (!ctx.options.mirror_of.empty()) {
    SendError(res, Status::PermissionDenied("this is a read-only mirror of " +
                                            ctx.options.mirror_of + "; push there"));
    return;
  }
  SendError(res,
            Status::PermissionDenied("this registry is a read-only mirror; push to its upstream"));
}

}  // namespace

bool AllowAccess(const ServerContext& ctx, http::Request& req, http::Access access,
                 http::Response& res) {
  if (access != http::Access::kRead && ctx.options.read_only) {
    RefuseReadOnly(ctx, res);
    return false;
  }
  if (access == http::Access::kRead) {
    // Probes never need a token, nor does a primary's change notice to a mirror (it carries
    // nothing and only makes the mirror sync sooner, at a bounded rate); other reads only with
    // --read-auth.
    // The UI's sign-in page and the assets it is drawn with are open too.
    const bool open = !ctx.options.read_auth || req.path.rfind("/health/", 0) == 0 ||
                      req.path == "/sync/v1/notify" || req.path == "/ui/token" ||
                      req.path.rfind("/ui/assets/", 0) == 0;
    if (open) {
      // A token on an open read only names the reader in the log; a bad one changes nothing.
      if (std::string token = BearerToken(req); !token.empty()) {
        if (auto found = ctx.tokens->Find(token); found.ok()) req.principal = found->name;
      }
      return true;
    }
    // A browser reading the UI carries its token in a cookie (ui_sign_in.h): taken for reads
    // only, so that a page of another site can never make a browser write.
    std::string text = BearerToken(req);
    if (text.empty()) text = ui::TokenFromCookie(req);
    if (ui::IsUiPage(req.path)) {
      auto found =
          text.empty() ? Result<TokenRecord>(Status::NotFound("no token")) : ctx.tokens->Find(text);
      if (!found.ok()) {
        ui::SendSignInPage(res, req.target,
                           text.empty() ? "" : "The token is no longer valid for this registry.");
        return false;
      }
      req.principal = found->name;
      return true;
    }
    auto token = Authenticate(ctx, text, "reads", res);
    if (!token.ok()) return false;
    req.principal = token->name;
    return true;
  }
  // Writes are anonymous only until the first token exists (and then only on loopback, which
  // Server::Bind enforces).
  if (!ctx.tokens->AnyToken()) return true;
  auto token = Authenticate(ctx, BearerToken(req), "writes", res);
  if (!token.ok()) return false;
  req.principal = token->name;
  std::string missing;
  if (access == http::Access::kAdmin) {
    if (ScopesAllow(token->scopes, AccessLevel::kAdmin, "", &missing)) return true;
    Forbidden(res, missing);
    return false;
  }
  // A prefix-limited write scope passes here; the route checks its module (AllowWrite).
  if (ScopesAllowSomeWrite(token->scopes)) return true;
  Forbidden(res, "write");
  return false;
}

bool AllowWrite(const ServerContext& ctx, const http::Request& req, const std::string& module,
                http::Response& res) {
  if (ctx.options.read_only) {
    RefuseReadOnly(ctx, res);
    return false;
  }
  if (!ctx.tokens->AnyToken()) return true;
  auto token = Authenticate(ctx, BearerToken(req), "writes", res);
  if (!token.ok()) return false;
  std::string missing;
  if (ScopesAllow(token->scopes, AccessLevel::kWrite, module, &missing)) return true;
  if (module.empty()) {
    Forbidden(res, missing);
  } else {
    SendError(res, Status::PermissionDenied("this token may not write to module " + module +
                                            ": it lacks the scope write (or write:PREFIX with a "
                                            "prefix of " +
                                            module + ")"));
  }
  return false;
}

bool AllowPushRefs(const ServerContext& ctx, const http::Request& req,
                   const std::vector<RefUpdate>& updates, http::Response& res) {
  for (const RefUpdate& update : updates) {
    if (!AllowWrite(ctx, req, ModuleOfRef(update.name), res)) return false;
  }
  return true;
}

}  // namespace spoke
