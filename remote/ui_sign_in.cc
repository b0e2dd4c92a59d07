// The web UI's sign-in for registries that need a token for reads (ui_sign_in.h says why a
// cookie, and why only for reads).
#include "ui_sign_in.h"

#include "http_head.h"
#include "ui_html.h"

namespace spoke::ui {
namespace {

// Where a reader goes after signing in: a path on this server, never another site ("//host" or
// "/\host" would be one for a browser).
std::string SafeNext(const std::string& next) {
  if (next.empty() || next[0] != '/' || (next.size() > 1 && (next[1] == '/' || next[1] == '\\')))
    return "/";
  for (char ch : next) {
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) return "/";
  }
  return next;
}

// The value of `name` in an application/x-www-form-urlencoded body, decoded; "" when absent or
// malformed.
std::string FormValue(const std::string& body, const std::string& name) {
  size_t begin = 0;
  while (begin <= body.size()) {
    size_t end = body.find('&', begin);
    if (end == std::string::npos) end = body.size();
    std::string_view pair(body.data() + begin, end - begin);
    size_t equals = pair.find('=');
    if (equals != std::string_view::npos && pair.substr(0, equals) == name) {
      std::string value;
      if (!http::PercentDecode(pair.substr(equals + 1), /*plus_is_space=*/true, &value)) return "";
      return value;
    }
    begin = end + 1;
  }
  return "";
}

}  // namespace

std::string TokenFromCookie(const http::Request& req) {
  const std::string cookies = req.get_header_value("Cookie");
  const std::string wanted = std::string(kTokenCookie) + "=";
  size_t at = 0;
  while (at < cookies.size()) {
    while (at < cookies.size() && (cookies[at] == ' ' || cookies[at] == ';')) ++at;
    size_t end = cookies.find(';', at);
    if (end == std::string::npos) end = cookies.size();
    if (cookies.compare(at, wanted.size(), wanted) == 0) {
      return cookies.substr(at + wanted.size(), end - at - wanted.size());
    }
    at = end;
  }
  return "";
}

bool IsUiPage(const std::string& path) {
  return path == "/" || path == "/ui" || path.rfind("/ui/", 0) == 0;
}

void SendSignInPage(http::Response& res, const std::string& path, const std::string& problem) {
  Page page;
  page.title = "Sign in";
  Html main;
  main.Element("h1", "This registry needs a token to read");
  if (!problem.empty()) main.Raw("<p class=\"error\" role=\"alert\">").Text(problem).Raw("</p>\n");
  main.Raw("<form method=\"post\" action=\"/ui/token\">\n")
      .Raw("<p><label for=\"token\">Token</label> ")
      .Raw(
          "<input id=\"token\" name=\"token\" type=\"password\" autocomplete=\"current-password\" "
          "required autofocus></p>\n")
      .Raw("<input type=\"hidden\" name=\"next\" value=\"")
      .Text(SafeNext(path))
      .Raw("\">\n<p><button type=\"submit\">Read the registry</button></p>\n</form>\n")
      .Raw(
          "<p class=\"muted\">Ask the registry's administrator for a token with the read scope "
          "(<code>spoke-server token create --scope read</code>). This browser keeps it until it "
          "closes.</p>\n");
  page.main = main.Take();
  SendUntaggedPage(res, page, 401);
  res.set_header("WWW-Authenticate", "Bearer");
  res.set_header("Cache-Control", "no-store");
}

void RegisterSignInRoutes(http::Server& http, ServerContext& ctx) {
  http.Get("/ui/token", [](const http::Request& req, http::Response& res) {
    SendSignInPage(res, SafeNext(req.get_param_value("next")), "");
  });
  http.Post("/ui/token", QueryRoute(), [&ctx](const http::Request& req, http::Response& res) {
    const std::string token = FormValue(req.body, "token");
    const std::string next = SafeNext(FormValue(req.body, "next"));
    auto found =
        token.empty() ? Result<TokenRecord>(Status::NotFound("no token")) : ctx.tokens->Find(token);
    if (!found.ok()) {
      return SendSignInPage(res, next,
                            found.status().code() == Status::Code::kNotFound
                                ? "That token is not valid for this registry (unknown or revoked)."
                                : found.status().message());
    }
    // Only token characters reach the header: a token is spoke_ and base64url.
    for (char ch : token) {
      if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-' && ch != '.') {
        return SendSignInPage(res, next, "That token is not valid for this registry.");
      }
    }
    std::string cookie =
        std::string(kTokenCookie) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict";
    if (!ctx.options.tls_cert_file.empty()) cookie += "; Secure";
    res.status = 303;
    res.set_header("Location", next);
    res.set_header("Set-Cookie", cookie);
    res.set_header("Cache-Control", "no-store");
  });
}

}  // namespace spoke::ui
