// spoke validate: parse and link a directory's .proto files (imports from the directory, then from
// the dependencies spoke.yaml pins) and print every error as file:line:col: message. The registry
// runs the same check (SchemaImage::Build) on every pushed version.
#include <charconv>
#include <cstdio>
#include <regex>

#include "context.h"
#include "plural.h"
#include "schema_input.h"
#include "spoke/json.h"

namespace spoke::cli {
namespace {

struct ValidateArgs {
  std::string dir = ".";
  std::vector<std::string> paths;
  bool recursive = false, json = false;
};

// "file:line:col: message".
const std::regex& Positioned() {
  static const std::regex positioned(R"(^(.*?):(\d+):(\d+): (.*)$)");
  return positioned;
}

// A line or column number; 0 when it is too large for an int64_t (std::stoll would throw: the
// number comes from a file name the user chose as much as from the parser).
int64_t Number(const std::string& digits) {
  int64_t value = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), value);
  return value;
}

// One "file:line:col: message" line (or "file: message") as JSON.
Json ErrorToJson(const std::string& line) {
  Json out = Json::MakeObject();
  std::smatch m;
  if (std::regex_match(line, m, Positioned())) {
    out.Set("file", m[1].str());
    out.Set("line", Number(m[2].str()));
    out.Set("column", Number(m[3].str()));
    out.Set("message", m[4].str());
    return out;
  }
  size_t colon = line.find(": ");
  out.Set("file", colon == std::string::npos ? "" : line.substr(0, colon));
  out.Set("message", colon == std::string::npos ? line : line.substr(colon + 2));
  return out;
}

// Prints the errors (none: the files are valid); a failure when there are any.
CommandOutcome Report(const ValidateArgs& args, const GlobalFlags& flags,
                      const std::vector<std::string>& errors, size_t files) {
  if (args.json) {
    Json out = Json::MakeObject();
    out.Set("valid", errors.empty());
    out.Set("files", static_cast<int64_t>(files));
    Json list = Json::MakeArray();
    for (const auto& e : errors) list.Push(ErrorToJson(e));
    out.Set("errors", std::move(list));
    std::printf("%s\n", out.Dump(2).c_str());
  } else {
    for (const auto& e : errors) std::printf("%s\n", e.c_str());
    if (errors.empty() && !flags.quiet)
      std::fprintf(stderr, "spoke: %s valid\n", Plural(files, "file").c_str());
  }
  return CommandOutcome::Shown(!errors.empty());
}

}  // namespace

void SetupValidate(CLI::App* sub, const GlobalFlags* flags, CommandRunner* run) {
  auto args = std::make_shared<ValidateArgs>();
  sub->add_option("-d,--dir", args->dir, "The module directory")->capture_default_str();
  sub->add_flag("--recursive", args->recursive,
                "Validate files in subdirectories too (imports always resolve across the tree)");
  sub->add_option("--path", args->paths,
                  "Validate only this file or directory, relative to -dir (repeatable)");
  sub->add_flag("--json", args->json,
                "Print {\"valid\", \"files\", \"errors\": [{file, line, column, message}]}");
  sub->footer(
      "Exit codes: 0 valid, 1 errors (each printed as file:line:col: message), 2 usage error.");
  *run = [args, flags]() -> CommandOutcome {
    auto input = LoadDirInput(args->dir, *flags);
    if (!input.ok()) {
      // A file that cannot be read as a .proto file (not UTF-8) is an error at file:line:col like
      // a parse error, not a usage error.
      const std::string& message = input.status().message();
      if (std::regex_match(message, Positioned())) return Report(*args, *flags, {message}, 0);
      return UsageIfInvalid(input.status());
    }
    SchemaSources& sources = (*input)->sources;
    if (!args->paths.empty()) {
      if (Status s = RestrictTargets(args->paths, &sources); !s.ok()) return Usage(s);
    } else if (!args->recursive) {
      std::vector<std::string> top;
      for (const auto& t : sources.targets) {
        if (t.find('/') == std::string::npos) top.push_back(t);
      }
      if (top.empty()) {
        return Usage(Status::InvalidArgument("no .proto files directly in " + args->dir +
                                             "; use --recursive"));
      }
      sources.targets = std::move(top);
    }
    auto image = SchemaImage::Build(sources);
    if (!image.ok() && image.status().code() != Status::Code::kInvalidArgument)
      return image.status();
    std::vector<std::string> errors;
    if (!image.ok()) {
      const std::string& text = image.status().message();
      size_t start = 0;
      while (start < text.size()) {
        size_t end = text.find('\n', start);
        errors.push_back(
            text.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos) break;
        start = end + 1;
      }
    }
    return Report(*args, *flags, errors, sources.targets.size());
  };
}

}  // namespace spoke::cli
