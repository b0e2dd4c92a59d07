// Dependencies first: a depth-first walk over the pins, each version emitted after its
// dependencies (post-order), as a build system orders targets.
#include "sprocket/compile_order.h"

#include <set>

namespace spoke {

std::vector<VersionName> DependenciesFirst(
    const std::vector<VersionName>& versions,
    const std::function<std::vector<VersionName>(const VersionName&)>& dependencies_of) {
  const std::set<VersionName> wanted(versions.begin(), versions.end());
  std::set<VersionName> visited;
  std::vector<VersionName> order;
  // An explicit stack rather than recursion: a long chain of dependencies cannot overflow it.
  struct Frame {
    VersionName name;
    std::vector<VersionName> dependencies;
    size_t next = 0;
  };
  for (const VersionName& root : versions) {
    if (!visited.insert(root).second) continue;
    std::vector<Frame> stack;
    stack.push_back({root, dependencies_of(root)});
    while (!stack.empty()) {
      Frame& top = stack.back();
      if (top.next < top.dependencies.size()) {
        VersionName dependency = top.dependencies[top.next++];
        if (visited.insert(dependency).second)
          stack.push_back({dependency, dependencies_of(dependency)});
        continue;
      }
      if (wanted.count(top.name)) order.push_back(top.name);
      stack.pop_back();
    }
  }
  return order;
}

}  // namespace spoke
