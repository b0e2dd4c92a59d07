// Go import paths for .proto files that do not set `option go_package`, given the way buf's managed
// mode gives them. protoc-gen-go refuses a file it cannot place in a Go package, and most schemas
// in a registry were written without Go in mind.
//
// A file without go_package gets the default import path "<prefix>/<directory of the file>" (just
// "<prefix>" for a file at the root), where every element of the directory is made a Go import path
// element as DefaultGoImportPrefix() does. The Go plugins receive it as "M<file>=<import path>".
// Files that set go_package keep theirs. The prefix is part of the artifact cache key of the Go
// languages (artifact_cache.h), so code generated under two prefixes never shares an artifact.
//
// Nothing here needs libprotoc: the `spoke` front end computes cache keys with it.
#ifndef SPOKE_GO_IMPORT_PATH_H_
#define SPOKE_GO_IMPORT_PATH_H_

#include <string>
#include <vector>

#include "spoke/status.h"

namespace spoke {

// The prefix a module (or, for a directory without a module name, the directory's base name) gets
// when none is given. Each '/'-separated element keeps ASCII letters, digits and "-._~+"; any other
// character (or UTF-8 sequence) becomes '_', as does a '.' that starts or ends an element; empty
// elements are dropped, and an empty name is "proto". protoc-gen-go refuses an import path with
// neither a '/' nor a '.' (it takes it for a package name), so such a name goes under "example/",
// the prefix Go reserves for paths that are never published: "payments/ledger" stays
// "payments/ledger", "order" becomes "example/order", "My Protos" becomes "example/My_Protos".
std::string DefaultGoImportPrefix(const std::string& name);

// Ok when `prefix` can be a Go import path: '/'-separated, non-empty elements of ASCII letters,
// digits and "-._~+", none starting or ending with '.', at most 512 bytes. InvalidArgument saying
// what is wrong otherwise. (protoc-gen-go may still refuse a one-element prefix for a root file.)
Status ValidateGoImportPrefix(const std::string& prefix);

// The default import path of the file at `proto_path` under `prefix`.
// REQUIRES: ValidateGoImportPrefix(prefix) is ok.
std::string DefaultGoImportPath(const std::string& prefix, const std::string& proto_path);

// The Go plugins' parameter that gives each of `files` its default import path under `prefix`:
// "M<file>=<import path>" items joined by ','. InvalidArgument when a file's path holds a ',' or an
// '=', which the plugin's parameter syntax cannot carry (the file must then set go_package).
// REQUIRES: ValidateGoImportPrefix(prefix) is ok.
Result<std::string> GoImportPathParameter(const std::string& prefix,
                                          const std::vector<std::string>& files);

}  // namespace spoke

#endif  // SPOKE_GO_IMPORT_PATH_H_
