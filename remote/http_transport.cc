// Loads spoke-http.so once per process and makes transports from it.
#include "http_transport.h"

#include <dlfcn.h>

#include <mutex>

#include "spoke/exec_path.h"

namespace spoke {
namespace {

using CreateFunction = HttpTransport* (*)(const char*, const HttpTransportOptions*);

constexpr char kModuleName[] = "spoke-http.so";

struct Loaded {
  CreateFunction create;
  std::string path;
};

// The module's entry point, or an error that names what was tried. Loaded once and never
// unloaded: transports made from it may live until exit.
Result<Loaded> LoadModule() {
  static std::once_flag once;
  static CreateFunction create = nullptr;
  static std::string error;
  static std::string path;
  std::call_once(once, [] {
    std::string tried;
    path = FindHelper(kModuleName, &tried);
    if (path.empty()) {
      error = std::string("cannot find ") + kModuleName + ", the HTTP transport (looked at " +
              tried + "); it is built beside spoke, or set SPOKE_EXEC_PATH to its directory";
      return;
    }
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      error = "cannot load " + path + ": " + dlerror();
      return;
    }
    create = reinterpret_cast<CreateFunction>(dlsym(handle, SPOKE_HTTP_TRANSPORT_ENTRY));
    if (!create)
      error = path + " has no " + SPOKE_HTTP_TRANSPORT_ENTRY + "; is it from another build?";
  });
  if (!create) return Status::FailedPrecondition(error);
  return Loaded{create, path};
}

}  // namespace

Result<std::unique_ptr<HttpTransport>> MakeHttpTransport(const HttpTransportOptions& options) {
  SPOKE_ASSIGN_OR_RETURN(Loaded module, LoadModule());
  const std::string abi = SPOKE_HTTP_TRANSPORT_ABI;
  HttpTransport* transport = module.create(abi.c_str(), &options);
  if (!transport) {
    return Status::FailedPrecondition(
        module.path + " is from another build of spoke; rebuild it with spoke, or fix " +
        "SPOKE_EXEC_PATH");
  }
  return std::unique_ptr<HttpTransport>(transport);
}

}  // namespace spoke
