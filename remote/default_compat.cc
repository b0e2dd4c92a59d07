// The server's default compatibility level for modules created without one (--default-compat):
// a registry protects its consumers unless someone chose NONE on purpose.
#include "routes.h"

namespace spoke {

Status ApplyDefaultCompatibility(const ServerContext& ctx, const std::string& module) {
  if (ctx.options.default_compatibility.empty()) return Status::Ok();
  SPOKE_ASSIGN_OR_RETURN(ModuleInfo info, ctx.store->GetModule(module));
  if (!info.compatibility.empty()) return Status::Ok();
  return ctx.store->SetModuleCompatibility(module, ctx.options.default_compatibility).status();
}

}  // namespace spoke
