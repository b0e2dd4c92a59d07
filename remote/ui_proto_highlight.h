// The web UI's source view: a file's lines as HTML, escaped, and for .proto files with keywords,
// strings, comments and numbers marked by CSS classes. Done on the server, in one pass, so a file
// page needs no script and costs about as much as escaping the file.
#ifndef SPOKE_REMOTE_UI_PROTO_HIGHLIGHT_H_
#define SPOKE_REMOTE_UI_PROTO_HIGHLIGHT_H_

#include <string>
#include <string_view>
#include <vector>

namespace spoke::ui {

// `source` split at '\n' (a '\r' before it dropped; no empty last line for a final '\n'), each line
// escaped (ui_html.h) with <span class="kw|str|com|num"> around keywords and scalar types, string
// literals, comments and numbers. A block comment spanning lines is closed at the end of each line
// and opened again on the next, so every line is balanced HTML on its own.
std::vector<std::string> HighlightProtoLines(std::string_view source);

// The same split, each line only escaped: for files that are not .proto.
std::vector<std::string> PlainLines(std::string_view source);

}  // namespace spoke::ui

#endif  // SPOKE_REMOTE_UI_PROTO_HIGHLIGHT_H_
