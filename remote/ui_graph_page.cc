// The web UI's dependency graph of a version: every version its pins reach, drawn on the server as
// an SVG (no script), in layers by distance from the version, each box a link to its version
// page; the same edges follow as a list for readers that do not see the drawing.
#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "spoke/deps.h"
#include "ui_pages.h"

namespace spoke::ui {
namespace {

struct Node {
  std::string module;
  std::string version;
  std::vector<std::string> children;  // keys (module@version) of its pins
  int layer = 0;
  int x = 0, y = 0, width = 0;
};

constexpr int kCharWidth = 8;  // the SVG's monospace text, roughly
constexpr int kBoxHeight = 28;
constexpr int kLayerGap = 56;
constexpr int kBoxGap = 24;
constexpr int kMargin = 12;

std::string Key(const std::string& module, const std::string& version) {
  return module + "@" + version;
}

// Each node's layer: its longest distance from the root, so every edge points down. The graph is
// acyclic (a pin names a version that existed before the one that pins it).
void AssignLayers(std::map<std::string, Node>& nodes, const std::string& root) {
  std::vector<std::string> order{root};
  for (size_t i = 0; i < order.size() && i < nodes.size() * nodes.size() + 1; ++i) {
    const Node& node = nodes.at(order[i]);
    for (const std::string& child : node.children) {
      auto it = nodes.find(child);
      if (it == nodes.end() || it->second.layer >= node.layer + 1) continue;
      it->second.layer = node.layer + 1;
      order.push_back(child);
    }
  }
}

std::string Svg(std::map<std::string, Node>& nodes) {
  std::map<int, std::vector<Node*>> layers;
  for (auto& [key, node] : nodes) layers[node.layer].push_back(&node);
  int width = 0;
  for (auto& [layer, row] : layers) {
    int x = kMargin;
    for (Node* node : row) {
      node->width = static_cast<int>(Key(node->module, node->version).size()) * kCharWidth + 16;
      node->x = x;
      node->y = kMargin + layer * (kBoxHeight + kLayerGap);
      x += node->width + kBoxGap;
    }
    width = std::max(width, x - kBoxGap + kMargin);
  }
  const int height =
      kMargin * 2 + static_cast<int>(layers.size()) * (kBoxHeight + kLayerGap) - kLayerGap;
  Html svg;
  svg.Raw("<svg class=\"graph\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" ")
      .Raw("aria-labelledby=\"graph-title\" width=\"" + std::to_string(width) + "\" height=\"" +
           std::to_string(height) + "\" viewBox=\"0 0 " + std::to_string(width) + " " +
           std::to_string(height) + "\">\n")
      .Raw("<title id=\"graph-title\">Dependency graph</title>\n")
      .Raw("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" ")
      .Raw("markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\">")
      .Raw("<path d=\"M 0 0 L 10 5 L 0 10 z\"/></marker></defs>\n");
  for (auto& [key, node] : nodes) {
    for (const std::string& child_key : node.children) {
      auto child = nodes.find(child_key);
      if (child == nodes.end()) continue;
      svg.Raw("<line x1=\"" + std::to_string(node.x + node.width / 2) + "\" y1=\"" +
              std::to_string(node.y + kBoxHeight) + "\" x2=\"" +
              std::to_string(child->second.x + child->second.width / 2) + "\" y2=\"" +
              std::to_string(child->second.y) + "\" marker-end=\"url(#arrow)\"/>\n");
    }
  }
  for (auto& [key, node] : nodes) {
    svg.Raw("<a href=\"")
        .Text(VersionHref(node.module, node.version))
        .Raw("\"><rect x=\"" + std::to_string(node.x) + "\" y=\"" + std::to_string(node.y) +
             "\" width=\"" + std::to_string(node.width) + "\" height=\"" +
             std::to_string(kBoxHeight) + "\" rx=\"4\"/><text x=\"" + std::to_string(node.x + 8) +
             "\" y=\"" + std::to_string(node.y + 19) + "\">")
        .Text(key)
        .Raw("</text></a>\n");
  }
  svg.Raw("</svg>\n");
  return svg.Take();
}

}  // namespace

void ServeGraphPage(const ServerContext& ctx, const http::Request& req, http::Response& res) {
  auto version = ctx.store->GetVersion(req.matches[1], req.matches[2]);
  if (!version.ok()) return SendErrorPage(res, version.status());
  const std::string root = Key(version->module, version->version);
  auto reached = WalkDependencies(*ctx.store, root, version->manifest.dependencies);
  if (!reached.ok()) return SendErrorPage(res, reached.status());
  std::map<std::string, Node> nodes;
  auto add = [&nodes](const VersionInfo& v) {
    Node& node = nodes[Key(v.module, v.version)];
    node.module = v.module;
    node.version = v.version;
    for (const DependencyPin& pin : v.manifest.dependencies)
      node.children.push_back(Key(pin.module, pin.version));
  };
  add(*version);
  for (const ReachedVersion& r : *reached) add(r.version);
  AssignLayers(nodes, root);

  Html html;
  html.Raw("<h1>").Text(version->module).Raw(" <span class=\"muted\">").Text(version->version);
  html.Raw("</span></h1>\n<h2 id=\"graph\">Dependencies</h2>\n");
  if (nodes.size() == 1) {
    html.Raw("<p>None: this version depends on no other module.</p>\n");
  } else {
    html.Raw("<div class=\"graph\">").Raw(Svg(nodes)).Raw("</div>\n");
    html.Raw("<h3 id=\"edges\">As a list</h3>\n<ul>\n");
    for (const auto& [key, node] : nodes) {
      for (const std::string& child : node.children) {
        auto target = nodes.find(child);
        if (target == nodes.end()) continue;
        html.Raw("<li>")
            .Link(VersionHref(node.module, node.version), key)
            .Raw(" → ")
            .Link(VersionHref(target->second.module, target->second.version), child)
            .Raw("</li>\n");
      }
    }
    html.Raw("</ul>\n");
  }
  Page page;
  page.title = version->module + " " + version->version + " dependencies";
  page.nav = Html()
                 .Link("/", "Modules")
                 .Raw(" / ")
                 .Link(ModuleHref(version->module), version->module)
                 .Raw(" / ")
                 .Link(VersionHref(version->module, version->version), version->version)
                 .Raw(" / graph")
                 .Take();
  page.main = html.Take();
  SendPage(req, res, page);
}

}  // namespace spoke::ui
