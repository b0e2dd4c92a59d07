// The web UI's CSS and JS as raw strings (ui_assets.h). The script only adds to pages that work
// without it: filter-as-you-type on tables marked data-filter, '/' to focus the search box, and
// copy buttons beside <pre data-copy> command lines.
#include "ui_assets.h"

#include <array>

#include "spoke/digest.h"

namespace spoke::ui {
namespace {

constexpr std::string_view kCss = R"css(:root {
  --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --panel: #f6f8fa; --line: #d1d9e0;
  --link: #0550ae; --accent: #0969da; --mark: #fff8c5;
  --kw: #cf222e; --str: #0a3069; --com: #59636e; --num: #0550ae;
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
  background: var(--bg); }
a { color: var(--link); text-decoration: none; }
a:hover, a:focus { text-decoration: underline; }
:focus-visible { outline: 2px solid var(--accent); outline-offset: 1px; }
header.site { display: flex; gap: 1.5rem; align-items: center; padding: .6rem 1.5rem;
  border-bottom: 1px solid var(--line); background: var(--panel); flex-wrap: wrap; }
header.site .brand { font-weight: 700; font-size: 1.1rem; color: var(--fg); }
header.site nav a { margin-right: 1rem; }
header.site form { margin-left: auto; }
input[type=search] { font: inherit; padding: .3rem .5rem; border: 1px solid var(--line);
  border-radius: 6px; min-width: 18rem; }
nav.crumbs { padding: .6rem 1.5rem 0; color: var(--muted); }
main { padding: .5rem 1.5rem 2rem; max-width: 80rem; }
footer { padding: 1rem 1.5rem; color: var(--muted); border-top: 1px solid var(--line);
  font-size: .85rem; }
h1 { font-size: 1.6rem; margin: .6rem 0; }
h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
.muted { color: var(--muted); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
code, pre { font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.digest { font-family: ui-monospace, monospace; font-size: .8rem; color: var(--muted); }
.tag { display: inline-block; padding: 0 .4rem; border-radius: 1rem; font-size: .75rem;
  border: 1px solid var(--line); color: var(--muted); }
.tag.release { border-color: #1a7f37; color: #1a7f37; }
.tag.pre { border-color: #9a6700; color: #9a6700; }
.tag.ready { border-color: #1a7f37; color: #1a7f37; }
.tag.failed { border-color: var(--kw); color: var(--kw); }
.stats { display: flex; gap: 2rem; margin: .5rem 0 1rem; }
.stats b { font-size: 1.3rem; display: block; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.cmd { position: relative; background: var(--panel); border: 1px solid var(--line);
  border-radius: 6px; padding: .5rem .7rem; overflow-x: auto; margin: .3rem 0; }
.cmd button { position: absolute; top: .3rem; right: .3rem; font-size: .75rem; }
ul.tree { list-style: none; padding-left: 1.2rem; margin: 0; }
ul.tree.root { padding-left: 0; }
pre.src { background: var(--panel); border: 1px solid var(--line); border-radius: 6px;
  padding: .5rem 0; overflow-x: auto; }
pre.src .line { display: block; padding-right: 1rem; }
/* Lines come in chunks of 200 (ui_module_pages.cc) that the browser lays out only near the view:
   a 100,000-line file then opens in about 2 s instead of 15. Anchors and find-in-page still work. */
pre.src .chunk { display: block; content-visibility: auto; contain-intrinsic-size: auto 4000px; }
pre.src .line:target { background: var(--mark); }
pre.src .ln { display: inline-block; width: 4rem; padding-right: 1rem; text-align: right;
  color: var(--muted); user-select: none; }
.kw { color: var(--kw); }
.str { color: var(--str); }
.com { color: var(--com); font-style: italic; }
.num { color: var(--num); }
svg.graph rect { fill: var(--panel); stroke: var(--link); }
svg.graph text { font: 13px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  fill: var(--fg); }
svg.graph line { stroke: var(--muted); }
svg.graph marker path { fill: var(--muted); }
div.graph { overflow-x: auto; }
pre.diff { background: var(--panel); border: 1px solid var(--line); border-radius: 6px;
  padding: .5rem; overflow-x: auto; }
pre.diff span { display: block; }
pre.diff .add { background: #e6ffec; }
pre.diff .del { background: #ffebe9; }
pre.diff .hunk, pre.diff .meta { color: var(--muted); }
.filter { margin: .3rem 0 .6rem; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: .5rem; top: .5rem; background: var(--bg); padding: .3rem .6rem; z-index: 1; }
nav.kinds, nav.versions { margin: .3rem 0 .8rem; }
nav.kinds a, nav.kinds strong, nav.versions a, nav.versions strong { margin-right: .5rem; }
.schema-toc { max-height: 22rem; overflow-y: auto; background: var(--panel); font-size: .9rem;
  border: 1px solid var(--line); border-radius: 6px; padding: 0 .8rem .4rem; }
.schema-toc h3 { font-size: 1rem; margin: .5rem 0 .2rem; }
.schema-toc ul { list-style: none; margin: 0; padding-left: 1.1rem; }
.schema-toc > ul { padding-left: 0; }
.schema-toc small, .kind { color: var(--muted); font-size: .75rem; }
.toc-message > small { color: var(--link); }
.toc-enum > small { color: #8250df; }
.toc-service > small { color: #1a7f37; }
.kind { text-transform: uppercase; letter-spacing: .04em; font-weight: 600; }
.schema-file { border-top: 2px solid var(--line); margin-top: 1.5rem; }
.schema-file > h2 { font: 600 1.05rem ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.schema-message, .schema-enum, .schema-service { margin: 1.2rem 0; }
/* Laid out only near the view: thousands of types on one page stay quick to open. */
.schema-message, .schema-enum, .schema-service { content-visibility: auto;
  contain-intrinsic-size: auto 16rem; }
.schema-docs h3 { font-size: 1.05rem; margin: 0 0 .1rem; }
.schema-docs h4 { font-size: .95rem; margin: .6rem 0 .1rem; }
.schema-rpc { margin-left: .4rem; padding-left: .8rem; border-left: 3px solid var(--line); }
.schema-docs section:target > h3, .schema-docs section:target > h4, .schema-docs tr:target {
  background: var(--mark); }
.defined, .package { color: var(--muted); font-size: .85rem; margin: 0 0 .4rem; }
.doc { max-width: 60rem; }
.doc p { margin: .2rem 0 .5rem; }
td .doc p { margin: 0 0 .3rem; }
table.fields, table.values { font-size: .9rem; margin: .3rem 0 .8rem; }
table.fields td:first-child, table.values td:first-child { width: 4rem; color: var(--muted);
  font-variant-numeric: tabular-nums; }
table.extensions td:nth-child(5) { white-space: nowrap; }
.empty { color: var(--muted); font-style: italic; }
span.deprecated { display: inline-block; margin-left: .4rem; padding: 0 .4rem; font: 600 .7rem
  system-ui, sans-serif; text-transform: uppercase; color: var(--kw); border: 1px solid var(--kw);
  border-radius: 1rem; vertical-align: middle; }
tr.deprecated td { color: var(--muted); }
tr.deprecated td:nth-child(2) > code { text-decoration: line-through; }
.docs-elsewhere { background: var(--panel); border-left: 4px solid var(--accent);
  padding: .5rem .8rem; }
)css";

constexpr std::string_view kJs = R"js("use strict";
// Filter-as-you-type: an <input data-filter-for="ID"> hides the rows of table#ID whose text does
// not hold every word typed.
document.querySelectorAll("input[data-filter-for]").forEach(function (input) {
  var table = document.getElementById(input.getAttribute("data-filter-for"));
  if (!table) return;
  input.hidden = false;
  input.addEventListener("input", function () {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    table.querySelectorAll("tbody tr").forEach(function (row) {
      var text = row.textContent.toLowerCase();
      row.hidden = !words.every(function (w) { return text.indexOf(w) >= 0; });
    });
  });
});
// "/" focuses the search box, unless the user is typing somewhere.
document.addEventListener("keydown", function (e) {
  if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
  var t = e.target.tagName;
  if (t === "INPUT" || t === "TEXTAREA" || t === "SELECT" || e.target.isContentEditable) return;
  var box = document.getElementById("q");
  if (box) { e.preventDefault(); box.focus(); box.select(); }
});
// A copy button on every <pre class="cmd">.
if (navigator.clipboard) {
  document.querySelectorAll("pre.cmd").forEach(function (pre) {
    var button = document.createElement("button");
    button.type = "button";
    button.textContent = "Copy";
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(pre.querySelector("code").textContent).then(function () {
        button.textContent = "Copied";
        setTimeout(function () { button.textContent = "Copy"; }, 1500);
      });
    });
    pre.appendChild(button);
  });
}
)js";

// The tab icon: a wheel's hub and spokes. Pages link it, so browsers never ask for a /favicon.ico
// the server does not have.
constexpr std::string_view kIcon =
    R"svg(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">)svg"
    R"svg(<circle cx="8" cy="8" r="6.5" fill="none" stroke="#0969da" stroke-width="1.5"/>)svg"
    R"svg(<path d="M8 1.5v13M1.5 8h13M3.4 3.4l9.2 9.2M12.6 3.4l-9.2 9.2" stroke="#0969da"/>)svg"
    R"svg(<circle cx="8" cy="8" r="2" fill="#0969da"/></svg>)svg";

Asset MakeAsset(std::string_view name, std::string_view type, std::string_view body) {
  return {name, type, body, Sha256Hex(body).substr(0, 16)};
}

const std::array<Asset, 3>& Assets() {
  static const std::array<Asset, 3> kAssets = {
      MakeAsset("spoke.css", "text/css; charset=utf-8", kCss),
      MakeAsset("spoke.js", "text/javascript; charset=utf-8", kJs),
      MakeAsset("icon.svg", "image/svg+xml", kIcon),
  };
  return kAssets;
}

}  // namespace

const Asset* FindAsset(std::string_view name) {
  for (const Asset& asset : Assets())
    if (asset.name == name) return &asset;
  return nullptr;
}

std::string AssetUrl(std::string_view name) {
  return "/ui/assets/" + std::string(name) + "?v=" + FindAsset(name)->hash;
}

}  // namespace spoke::ui
