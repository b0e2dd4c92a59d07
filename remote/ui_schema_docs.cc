// RenderSchemaDocs: one walk over a version's descriptors that writes its documentation as HTML,
// a table of contents first and then a section per declaration. Everything that comes from a
// .proto file (names, comments, paths) is escaped on its way out, by ui::AppendEscaped (ui_html.h).
#include "ui_schema_docs.h"

#include <google/protobuf/descriptor.pb.h>

#include <algorithm>
#include <map>
#include <set>
#include <string_view>

#include "ui_html.h"

namespace spoke {
namespace {

namespace pb = google::protobuf;

// FileDescriptorProto.package's field number: the SourceCodeInfo path of a package statement.
constexpr int kFilePackage = 2;

// "file-" + the path, percent-encoded so the anchor is the same in an id and in a URL.
std::string FileAnchor(const pb::FileDescriptor& file) {
  return "file-" + ui::UrlPath(file.name());
}

// A comment as docs: its paragraphs (runs of non-blank lines), each line without the
// indentation all lines share (the space after "//") and without trailing blanks.
std::vector<std::string> Paragraphs(const std::string& comment) {
  std::vector<std::string_view> lines;
  size_t indent = std::string::npos;
  for (size_t start = 0; start <= comment.size();) {
    size_t end = comment.find('\n', start);
    if (end == std::string::npos) end = comment.size();
    std::string_view line(comment.data() + start, end - start);
    size_t last = line.find_last_not_of(" \t\r");
    line = last == std::string_view::npos ? std::string_view() : line.substr(0, last + 1);
    if (!line.empty()) indent = std::min(indent, line.find_first_not_of(" \t"));
    lines.push_back(line);
    start = end + 1;
  }
  std::vector<std::string> paragraphs;
  bool open = false;
  for (std::string_view line : lines) {
    if (line.empty()) {
      open = false;
      continue;
    }
    if (!open) paragraphs.emplace_back();
    if (open) paragraphs.back() += '\n';
    paragraphs.back() += line.substr(indent);
    open = true;
  }
  return paragraphs;
}

// A name as the declarations of `package` would write it: without the package when it is theirs.
std::string_view Relative(std::string_view full_name, const std::string& package) {
  if (!package.empty() && full_name.size() > package.size() &&
      full_name.compare(0, package.size(), package) == 0 && full_name[package.size()] == '.') {
    full_name.remove_prefix(package.size() + 1);
  }
  return full_name;
}

// How many values a field holds, as its declaration says it ("" for a plain proto3 field).
std::string Cardinality(const pb::FieldDescriptor* field) {
  if (field->is_map()) return "map";
  if (field->is_repeated()) return "repeated";
  if (field->is_required()) return "required";
  if (const pb::OneofDescriptor* oneof = field->real_containing_oneof())
    return "oneof " + oneof->name();
  if (field->has_optional_keyword() ||
      field->file()->syntax() == pb::FileDescriptor::SYNTAX_PROTO2) {
    return "optional";
  }
  return "";
}

class DocsWriter {
 public:
  DocsWriter(const std::vector<const pb::FileDescriptor*>& files, const SchemaLinker& links)
      : files_(files), links_(links), own_(files.begin(), files.end()) {}

  std::string Render() {
    out_ += "<div class=\"schema-docs\">\n";
    Contents();
    for (const pb::FileDescriptor* file : files_) File(file);
    out_ += "</div>\n";
    return std::move(out_);
  }

 private:
  void Text(std::string_view text) { ui::AppendEscaped(&out_, text); }

  const SchemaFileLinks& LinksOf(const pb::FileDescriptor* file) {
    auto it = links_of_.find(file);
    if (it == links_of_.end()) it = links_of_.emplace(file, links_(file->name())).first;
    return it->second;
  }

  // <a href="`page`#`anchor`">`shown`</a>.
  void Link(std::string_view page, std::string_view anchor, std::string_view shown) {
    out_ += "<a href=\"";
    Text(page);
    out_ += '#';
    Text(anchor);
    out_ += "\">";
    Text(shown);
    out_ += "</a>";
  }

  // ------------------------------------------------------------------------------------------
  // The table of contents: files, and in each its types (nested ones under their parent) and
  // services.

  void Contents() {
    // An h3: the page's own "Types" heading (h2) is above it.
    out_ += "<nav class=\"schema-toc\" aria-label=\"Contents\">\n<h3>Contents</h3>\n<ul>\n";
    for (const pb::FileDescriptor* file : files_) {
      out_ += "<li>";
      Link("", FileAnchor(*file), file->name());
      out_ += "\n<ul>\n";
      for (int i = 0; i < file->message_type_count(); ++i) ContentsMessage(file->message_type(i));
      for (int i = 0; i < file->enum_type_count(); ++i) ContentsEntry(*file->enum_type(i), "enum");
      for (int i = 0; i < file->service_count(); ++i) ContentsEntry(*file->service(i), "service");
      out_ += "</ul></li>\n";
    }
    out_ += "</ul>\n</nav>\n";
  }

  template <typename D>
  void ContentsEntry(const D& d, const char* kind, bool close = true) {
    out_ += "<li class=\"toc-";
    out_ += kind;
    out_ += "\">";
    Link("", d.full_name(), Relative(d.full_name(), d.file()->package()));
    out_ += " <small>";
    out_ += kind;
    out_ += "</small>";
    if (close) out_ += "</li>\n";
  }

  void ContentsMessage(const pb::Descriptor* message) {
    if (message->options().map_entry()) return;
    ContentsEntry(*message, "message", false);
    bool nested = false;
    auto open = [&] {
      if (!nested) out_ += "\n<ul>\n";
      nested = true;
    };
    for (int i = 0; i < message->nested_type_count(); ++i) {
      if (message->nested_type(i)->options().map_entry()) continue;
      open();
      ContentsMessage(message->nested_type(i));
    }
    for (int i = 0; i < message->enum_type_count(); ++i) {
      open();
      ContentsEntry(*message->enum_type(i), "enum");
    }
    if (nested) out_ += "</ul>";
    out_ += "</li>\n";
  }

  // ------------------------------------------------------------------------------------------
  // Declarations.

  void File(const pb::FileDescriptor* file) {
    out_ += "<section class=\"schema-file\" id=\"";
    Text(FileAnchor(*file));
    out_ += "\">\n<h2>";
    const std::string& source = LinksOf(file).source_page;
    if (source.empty()) {
      Text(file->name());
    } else {
      out_ += "<a href=\"";
      Text(source);
      out_ += "\">";
      Text(file->name());
      out_ += "</a>";
    }
    out_ += "</h2>\n";
    if (!file->package().empty()) {
      out_ += "<p class=\"package\">package <code>";
      Text(file->package());
      out_ += "</code></p>\n";
    }
    // A file's docs are the comment above its package statement.
    pb::SourceLocation location;
    if (file->GetSourceLocation({kFilePackage}, &location)) Docs(location);
    for (int i = 0; i < file->message_type_count(); ++i) Message(file->message_type(i));
    for (int i = 0; i < file->enum_type_count(); ++i) Enum(file->enum_type(i));
    for (int i = 0; i < file->service_count(); ++i) Service(file->service(i));
    if (file->extension_count() > 0) {
      out_ += "<h3>Extensions</h3>\n";
      ExtensionTable([file](int i) { return file->extension(i); }, file->extension_count());
    }
    out_ += "</section>\n";
  }

  // The heading of a declaration's section, its full name, where it is defined and its docs.
  template <typename D>
  void Heading(const D& d, const char* kind) {
    out_ += "<h3><span class=\"kind\">";
    out_ += kind;
    out_ += "</span> <code>";
    Text(Relative(d.full_name(), d.file()->package()));
    out_ += "</code>";
    Deprecated(d.options().deprecated());
    out_ += "</h3>\n<p class=\"defined\"><code>";
    Text(d.full_name());
    out_ += "</code>";
    pb::SourceLocation location;
    bool located = d.GetSourceLocation(&location);
    if (located) {
      out_ += " &middot; ";
      DefinedAt(*d.file(), location);
    }
    out_ += "</p>\n";
    if (located) Docs(location);
  }

  void Deprecated(bool deprecated) {
    if (deprecated) out_ += " <span class=\"deprecated\">deprecated</span>";
  }

  // "defined at <a href="…#L12">file:12</a>", or plain text when the file has no page.
  void DefinedAt(const pb::FileDescriptor& file, const pb::SourceLocation& location) {
    const std::string line = std::to_string(location.start_line + 1);
    out_ += "defined at ";
    const std::string& page = LinksOf(&file).source_page;
    if (page.empty()) {
      Text(file.name() + ":" + line);
    } else {
      Link(page, "L" + line, file.name() + ":" + line);
    }
  }

  void Docs(const pb::SourceLocation& location) {
    const std::string& comment =
        location.leading_comments.empty() ? location.trailing_comments : location.leading_comments;
    std::vector<std::string> paragraphs = Paragraphs(comment);
    if (paragraphs.empty()) return;
    out_ += "<div class=\"doc\">";
    for (const auto& paragraph : paragraphs) {
      out_ += "<p>";
      Text(paragraph);
      out_ += "</p>";
    }
    out_ += "</div>\n";
  }

  // The docs of a table row: the comment's paragraphs in one cell.
  template <typename D>
  void DocsCell(const D& d) {
    out_ += "<td>";
    pb::SourceLocation location;
    if (d.GetSourceLocation(&location)) Docs(location);
    out_ += "</td>";
  }

  void Message(const pb::Descriptor* message) {
    if (message->options().map_entry()) return;
    out_ += "<section class=\"schema-message\" id=\"";
    Text(message->full_name());
    out_ += "\">\n";
    Heading(*message, "message");
    if (message->field_count() > 0) {
      out_ +=
          "<table class=\"fields\">\n<thead><tr><th scope=\"col\">Number</th><th "
          "scope=\"col\">Field</th><th scope=\"col\">Label</th><th scope=\"col\">Type</th><th "
          "scope=\"col\">Description</th></tr></thead>\n<tbody>\n";
      for (int i = 0; i < message->field_count(); ++i) FieldRow(message->field(i), false);
      out_ += "</tbody>\n</table>\n";
    } else {
      out_ += "<p class=\"empty\">No fields.</p>\n";
    }
    if (message->extension_count() > 0) {
      out_ += "<h4>Extensions</h4>\n";
      ExtensionTable([message](int i) { return message->extension(i); },
                     message->extension_count());
    }
    out_ += "</section>\n";
    for (int i = 0; i < message->nested_type_count(); ++i) Message(message->nested_type(i));
    for (int i = 0; i < message->enum_type_count(); ++i) Enum(message->enum_type(i));
  }

  template <typename At>
  void ExtensionTable(const At& at, int count) {
    out_ +=
        "<table class=\"fields extensions\">\n<thead><tr><th scope=\"col\">Number</th><th "
        "scope=\"col\">Extension</th><th scope=\"col\">Label</th><th scope=\"col\">Type</th><th "
        "scope=\"col\">Extends</th><th scope=\"col\">Description</th></tr></thead>\n<tbody>\n";
    for (int i = 0; i < count; ++i) FieldRow(at(i), true);
    out_ += "</tbody>\n</table>\n";
  }

  void FieldRow(const pb::FieldDescriptor* field, bool extension) {
    out_ += "<tr id=\"";
    Text(field->full_name());
    out_ += "\"";
    if (field->options().deprecated()) out_ += " class=\"deprecated\"";
    out_ += "><td>";
    out_ += std::to_string(field->number());
    out_ += "</td><td><code>";
    Text(field->name());
    out_ += "</code>";
    Deprecated(field->options().deprecated());
    out_ += "</td><td>";
    Text(Cardinality(field));
    out_ += "</td><td>";
    const std::string& package = field->file()->package();
    if (field->is_map()) {
      out_ += "map&lt;";
      TypeOf(field->message_type()->map_key(), package);
      out_ += ", ";
      TypeOf(field->message_type()->map_value(), package);
      out_ += "&gt;";
    } else {
      TypeOf(field, package);
    }
    out_ += "</td>";
    if (extension) {
      out_ += "<td>";
      TypeLink(*field->containing_type(), package);
      out_ += "</td>";
    }
    DocsCell(*field);
    out_ += "</tr>\n";
  }

  // The type of a field's values: a scalar's name, or a link to the message or enum.
  void TypeOf(const pb::FieldDescriptor* field, const std::string& package) {
    if (field->message_type() != nullptr) return TypeLink(*field->message_type(), package);
    if (field->enum_type() != nullptr) return TypeLink(*field->enum_type(), package);
    out_ += "<code>";
    Text(field->type_name());
    out_ += "</code>";
  }

  // A message or enum by name, linked to its definition: here when it is in the files rendered,
  // else on the page that documents its file; plain when there is none.
  template <typename D>
  void TypeLink(const D& type, const std::string& package) {
    const std::string_view shown = Relative(type.full_name(), package);
    out_ += "<code>";
    if (own_.count(type.file()) > 0) {
      Link("", type.full_name(), shown);
    } else if (const std::string& page = LinksOf(type.file()).docs_page; !page.empty()) {
      Link(page, type.full_name(), shown);
    } else {
      Text(shown);
    }
    out_ += "</code>";
  }

  void Enum(const pb::EnumDescriptor* type) {
    out_ += "<section class=\"schema-enum\" id=\"";
    Text(type->full_name());
    out_ += "\">\n";
    Heading(*type, "enum");
    out_ +=
        "<table class=\"values\">\n<thead><tr><th scope=\"col\">Number</th><th "
        "scope=\"col\">Value</th><th scope=\"col\">Description</th></tr></thead>\n<tbody>\n";
    for (int i = 0; i < type->value_count(); ++i) {
      const pb::EnumValueDescriptor* value = type->value(i);
      // A value's own full name is scoped beside its enum (C++'s rule); the anchor is under it.
      out_ += "<tr id=\"";
      Text(type->full_name() + "." + value->name());
      out_ += "\"";
      if (value->options().deprecated()) out_ += " class=\"deprecated\"";
      out_ += "><td>";
      out_ += std::to_string(value->number());
      out_ += "</td><td><code>";
      Text(value->name());
      out_ += "</code>";
      Deprecated(value->options().deprecated());
      out_ += "</td>";
      DocsCell(*value);
      out_ += "</tr>\n";
    }
    out_ += "</tbody>\n</table>\n</section>\n";
  }

  void Service(const pb::ServiceDescriptor* service) {
    out_ += "<section class=\"schema-service\" id=\"";
    Text(service->full_name());
    out_ += "\">\n";
    Heading(*service, "service");
    const std::string& package = service->file()->package();
    for (int i = 0; i < service->method_count(); ++i) {
      const pb::MethodDescriptor* method = service->method(i);
      out_ += "<section class=\"schema-rpc\" id=\"";
      Text(method->full_name());
      out_ += "\">\n<h4><span class=\"kind\">rpc</span> <code>";
      Text(method->name());
      out_ += "</code>(";
      if (method->client_streaming()) out_ += "stream ";
      TypeLink(*method->input_type(), package);
      out_ += ") returns (";
      if (method->server_streaming()) out_ += "stream ";
      TypeLink(*method->output_type(), package);
      out_ += ")";
      Deprecated(method->options().deprecated());
      out_ += "</h4>\n";
      pb::SourceLocation location;
      if (method->GetSourceLocation(&location)) {
        out_ += "<p class=\"defined\">";
        DefinedAt(*method->file(), location);
        out_ += "</p>\n";
        Docs(location);
      }
      out_ += "</section>\n";
    }
    out_ += "</section>\n";
  }

  const std::vector<const pb::FileDescriptor*>& files_;
  const SchemaLinker& links_;
  const std::set<const pb::FileDescriptor*> own_;
  std::map<const pb::FileDescriptor*, SchemaFileLinks> links_of_;
  std::string out_;
};

}  // namespace

std::string RenderSchemaDocs(const std::vector<const pb::FileDescriptor*>& files,
                             const SchemaLinker& links) {
  return DocsWriter(files, links).Render();
}

}  // namespace spoke
