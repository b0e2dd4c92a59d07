// The schema as documentation: the HTML fragment of a version page that shows every message, enum,
// service and RPC of the version's files, with their fields, linked types and source comments.
#ifndef SPOKE_REMOTE_UI_SCHEMA_DOCS_H_
#define SPOKE_REMOTE_UI_SCHEMA_DOCS_H_

#include <google/protobuf/descriptor.h>

#include <functional>
#include <string>
#include <vector>

namespace spoke {

// Where the pages about one file of a version's closure are.
struct SchemaFileLinks {
  // The file's source page (/ui/modules/{m}/versions/{v}/files/{path}), whose lines have anchors
  // #L<n>; "" when it has none (a well-known type built into libprotobuf).
  std::string source_page;
  // The page that documents the file's types, each under the anchor of its full name (the version
  // page of the module version that provides it, or the file's own page when that version has
  // too many files for one); "" when there is none: the types are named, not linked.
  // Not asked for the files being rendered, whose types are linked within the fragment.
  std::string docs_page;
};

// The links of a file, by its name in the descriptor pool (the path the version imports it by).
using SchemaLinker = std::function<SchemaFileLinks(const std::string& file)>;

// The documentation of `files` (a version's own files, in the order given) as an HTML fragment:
// a table of contents, then per file (a <section> whose id is "file-" + ui::UrlPath(name))
// every message (nested ones too, map entries excepted), enum,
// service and RPC, each a <section> whose id is its full name ("acme.pay.v1.Order"; an RPC's is
// "acme.pay.v1.Payments.Charge", a field's row and an enum value's row have theirs too). Fields
// show number, name, cardinality (repeated, map, oneof, optional, required) and type; message and
// enum types link to their definition: within the fragment for the types of `files`, else to
// `links(file).docs_page#<full name>`. Leading comments (trailing ones when a declaration has
// none) are the docs, paragraphs kept; deprecated declarations are marked; each declaration links
// "defined at file:line" to `links(file).source_page#L<line>`. Every name and comment is
// HTML-escaped. Comments and lines need descriptors built with source info (an Importer's are);
// without it they are left out. `files` may be part of a version (one file, for a page of its
// own): the types of the version's other files are then linked through `links` like any other.
// REQUIRES: `links` is callable for every file the types of `files` come from; the descriptors
// outlive the call.
std::string RenderSchemaDocs(const std::vector<const google::protobuf::FileDescriptor*>& files,
                             const SchemaLinker& links);

}  // namespace spoke

#endif  // SPOKE_REMOTE_UI_SCHEMA_DOCS_H_
