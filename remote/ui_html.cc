// The web UI's escaping, its HTML builder and the layout every page shares (ui_html.h).
#include "ui_html.h"

#include "build_identity.h"
#include "routes.h"
#include "spoke/digest.h"
#include "ui_assets.h"

namespace spoke::ui {
namespace {

constexpr char kHtmlType[] = "text/html; charset=utf-8";

bool IsUnreserved(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string PercentEncode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace

void AppendEscaped(std::string* out, std::string_view text) {
  size_t plain = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char* entity = nullptr;
    switch (text[i]) {
      case '&':
        entity = "&amp;";
        break;
      case '<':
        entity = "&lt;";
        break;
      case '>':
        entity = "&gt;";
        break;
      case '"':
        entity = "&quot;";
        break;
      case '\'':
        entity = "&#39;";
        break;
      default:
        continue;
    }
    out->append(text.substr(plain, i - plain));
    out->append(entity);
    plain = i + 1;
  }
  out->append(text.substr(plain));
}

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendEscaped(&out, text);
  return out;
}

std::string UrlPath(std::string_view path) { return PercentEncode(path, true); }

std::string UrlQueryValue(std::string_view value) { return PercentEncode(value, false); }

Html& Html::Link(std::string_view href, std::string_view text) {
  out_.append("<a href=\"");
  AppendEscaped(&out_, href);
  out_.append("\">");
  AppendEscaped(&out_, text);
  out_.append("</a>");
  return *this;
}

Html& Html::Element(std::string_view tag, std::string_view text) {
  out_.append("<").append(tag).append(">");
  AppendEscaped(&out_, text);
  out_.append("</").append(tag).append(">");
  return *this;
}

std::string RenderPage(const Page& page) {
  Html html;
  html.Raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
      .Raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>")
      .Text(page.title)
      .Raw(" - Spoke</title>\n<link rel=\"stylesheet\" href=\"")
      .Text(AssetUrl("spoke.css"))
      .Raw("\">\n<link rel=\"icon\" type=\"image/svg+xml\" href=\"")
      .Text(AssetUrl("icon.svg"))
      .Raw("\">\n<script defer src=\"")
      .Text(AssetUrl("spoke.js"))
      .Raw("\"></script>\n</head>\n<body>\n")
      .Raw("<a class=\"skip\" href=\"#main\">Skip to content</a>\n<header class=\"site\">\n")
      .Raw("<a class=\"brand\" href=\"/\">Spoke registry</a>\n")
      .Raw("<nav aria-label=\"Site\"><a href=\"/\">Modules</a><a href=\"/ui/search\">Search</a>")
      .Raw("</nav>\n<form role=\"search\" method=\"get\" action=\"/ui/search\">")
      .Raw("<label for=\"q\" class=\"muted\">Search </label>")
      .Raw("<input type=\"search\" id=\"q\" name=\"q\" placeholder=\"Messages, fields, ... (/)\" ")
      .Raw("value=\"")
      .Text(page.query)
      .Raw("\"></form>\n</header>\n");
  if (!page.nav.empty())
    html.Raw("<nav class=\"crumbs\" aria-label=\"Breadcrumb\">").Raw(page.nav).Raw("</nav>\n");
  html.Raw("<main id=\"main\">\n")
      .Raw(page.main)
      .Raw("</main>\n<footer>Spoke, a Protobuf schema registry. The same data as JSON: ")
      .Raw("<a href=\"/modules\">/modules</a>.</footer>\n</body>\n</html>\n");
  return html.Take();
}

namespace {

// Pages load only the server's own stylesheet, script and icon, and post forms only to it: an
// injection that escaping missed still could not run a script or send data elsewhere. Nothing may
// frame a page (clickjacking the sign-in form).
void SetPageSecurityHeaders(http::Response& res) {
  res.set_header("Content-Security-Policy",
                 "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
                 "form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "same-origin");
}

}  // namespace

void SendPage(const http::Request& req, http::Response& res, const Page& page) {
  SetPageSecurityHeaders(res);
  std::string body = RenderPage(page);
  if (HandleETag(req, res, Sha256Hex(body).substr(0, 16))) return;
  res.status = 200;
  res.set_content(std::move(body), kHtmlType);
}

std::string ContentETag(std::initializer_list<std::string_view> parts) {
  Sha256 hash;
  // Each value after its length, so no two lists of parts hash alike.
  auto add = [&hash](std::string_view part) {
    hash.Update(std::to_string(part.size()) + ":");
    hash.Update(part);
  };
  add(BuildIdentity());
  for (std::string_view part : parts) add(part);
  return hash.FinishHex().substr(0, 16);
}

void SendPageWithETag(http::Response& res, const Page& page) {
  res.status = 200;
  SetPageSecurityHeaders(res);
  res.set_content(RenderPage(page), kHtmlType);
}

void SendUntaggedPage(http::Response& res, const Page& page, int http_status) {
  res.status = http_status;
  SetPageSecurityHeaders(res);
  res.set_content(RenderPage(page), kHtmlType);
}

void SendErrorPage(http::Response& res, const Status& error) {
  const int status = HttpStatusFor(error);
  Page page;
  page.title = status == 404 ? "Not found" : "Error " + std::to_string(status);
  Html main;
  main.Element("h1", page.title)
      .Raw("<p>")
      .Text(error.message())
      .Raw("</p>\n<p><a href=\"/\">All modules</a></p>\n");
  page.main = main.Take();
  SendUntaggedPage(res, page, status);
}

}  // namespace spoke::ui
