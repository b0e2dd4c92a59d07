// The order Sprocket compiles versions in: every version after the versions it depends on.
#ifndef SPOKE_SPROCKET_COMPILE_ORDER_H_
#define SPOKE_SPROCKET_COMPILE_ORDER_H_

#include <functional>
#include <vector>

#include "spoke/store_watch.h"

namespace spoke {

// `versions` reordered so that each comes after every one of them it depends on, directly or
// through versions not in the list; otherwise in the given order. `dependencies_of` gives a
// version's pins as (module, version) names (empty for one that cannot be read). A cycle, which
// pins cannot make (a pin names a version that existed before), is broken where it is met.
std::vector<VersionName> DependenciesFirst(
    const std::vector<VersionName>& versions,
    const std::function<std::vector<VersionName>(const VersionName&)>& dependencies_of);

}  // namespace spoke

#endif  // SPOKE_SPROCKET_COMPILE_ORDER_H_
