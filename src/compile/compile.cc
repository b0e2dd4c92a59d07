// Compile(): parse and link once with libprotoc's Importer, then run each language's generator,
// in-process for the built-ins and through the plugin protocol for the others.
#include <google/protobuf/compiler/cpp/generator.h>
#include <google/protobuf/compiler/csharp/csharp_generator.h>
#include <google/protobuf/compiler/java/generator.h>
#include <google/protobuf/compiler/java/kotlin_generator.h>
#include <google/protobuf/compiler/objectivec/objectivec_generator.h>
#include <google/protobuf/compiler/php/php_generator.h>
#include <google/protobuf/compiler/plugin.pb.h>
#include <google/protobuf/compiler/python/generator.h>
#include <google/protobuf/compiler/python/pyi_generator.h>
#include <google/protobuf/compiler/ruby/ruby_generator.h>
#include <google/protobuf/descriptor.pb.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "compile/output.h"
#include "compile/plugin.h"
#include "compile/source_tree.h"
#include "spoke/compiler.h"
#include "util/parallel.h"

namespace spoke {
namespace {

namespace pb = google::protobuf;
namespace pbc = google::protobuf::compiler;

// The built-in generators for a language (python runs two: code and .pyi stubs).
std::vector<std::unique_ptr<pbc::CodeGenerator>> BuiltinGenerators(const std::string& language) {
  std::vector<std::unique_ptr<pbc::CodeGenerator>> out;
  if (language == "cpp") out.push_back(std::make_unique<pbc::cpp::CppGenerator>());
  if (language == "java") out.push_back(std::make_unique<pbc::java::JavaGenerator>());
  if (language == "kotlin") out.push_back(std::make_unique<pbc::java::KotlinGenerator>());
  if (language == "python") {
    out.push_back(std::make_unique<pbc::python::Generator>());
    out.push_back(std::make_unique<pbc::python::PyiGenerator>());
  }
  if (language == "csharp") out.push_back(std::make_unique<pbc::csharp::Generator>());
  if (language == "objc") out.push_back(std::make_unique<pbc::objectivec::ObjectiveCGenerator>());
  if (language == "php") out.push_back(std::make_unique<pbc::php::Generator>());
  if (language == "ruby") out.push_back(std::make_unique<pbc::ruby::Generator>());
  return out;
}

// Parsed and linked sources: the targets' descriptors and every file they import, in dependency
// order (each file after its imports), as protoc orders a CodeGeneratorRequest.
struct Parsed {
  std::unique_ptr<LoaderSourceTree> tree;
  std::unique_ptr<ErrorList> errors;
  std::unique_ptr<pbc::Importer> importer;
  std::vector<const pb::FileDescriptor*> targets;
  std::vector<const pb::FileDescriptor*> closure;
};

void AddInDependencyOrder(const pb::FileDescriptor* file, std::set<const pb::FileDescriptor*>* seen,
                          std::vector<const pb::FileDescriptor*>* out) {
  if (!seen->insert(file).second) return;
  for (int i = 0; i < file->dependency_count(); ++i) AddInDependencyOrder(file->dependency(i), seen, out);
  out->push_back(file);
}

Result<std::unique_ptr<Parsed>> Parse(const CompileRequest& request) {
  if (request.targets.empty()) return Status::InvalidArgument("nothing to compile: no target files");
  auto parsed = std::make_unique<Parsed>();
  parsed->tree = std::make_unique<LoaderSourceTree>(request.sources, request.load);
  parsed->errors = std::make_unique<ErrorList>();
  parsed->importer = std::make_unique<pbc::Importer>(parsed->tree.get(), parsed->errors.get());
  for (const auto& target : request.targets) {
    if (!request.sources.count(target)) return Status::InvalidArgument("target " + target + " is not among the sources");
    const pb::FileDescriptor* file = parsed->importer->Import(target);
    if (file) parsed->targets.push_back(file);
  }
  if (!parsed->errors->empty() || parsed->targets.size() != request.targets.size()) {
    std::string message = parsed->errors->Joined();
    if (message.empty()) message = "the sources do not compile";
    return Status::InvalidArgument(message);
  }
  std::set<const pb::FileDescriptor*> seen;
  for (const auto* file : parsed->targets) AddInDependencyOrder(file, &seen, &parsed->closure);
  return parsed;
}

Status RunBuiltin(const Parsed& parsed, const std::string& language, const std::string& parameter,
                  MemoryOutput* output) {
  for (const auto& generator : BuiltinGenerators(language)) {
    std::string error;
    if (!generator->GenerateAll(parsed.targets, parameter, output, &error)) {
      return Status::InvalidArgument(language + " generator: " + error);
    }
  }
  return Status::Ok();
}

Status RunPluginGenerator(const Parsed& parsed, const Language& language, const std::string& parameter,
                          MemoryOutput* output) {
  std::string binary = FindOnPath(language.plugin);
  if (binary.empty()) {
    return Status::Unavailable("the " + language.name + " generator needs " + language.plugin +
                               " on PATH; install it with: apt-get install " + language.debian_package);
  }
  pbc::CodeGeneratorRequest request;
  for (const auto* file : parsed.targets) request.add_file_to_generate(file->name());
  if (!parameter.empty()) request.set_parameter(parameter);
  auto* version = request.mutable_compiler_version();
  version->set_major(GOOGLE_PROTOBUF_VERSION / 1000000);
  version->set_minor(GOOGLE_PROTOBUF_VERSION / 1000 % 1000);
  version->set_patch(GOOGLE_PROTOBUF_VERSION % 1000);
  for (const auto* file : parsed.closure) {
    pb::FileDescriptorProto* proto = request.add_proto_file();
    file->CopyTo(proto);
    file->CopySourceCodeInfoTo(proto);
    file->CopyJsonNameTo(proto);
  }
  std::string input;
  request.SerializeToString(&input);
  SPOKE_ASSIGN_OR_RETURN(std::string raw, RunPlugin(binary, input));
  pbc::CodeGeneratorResponse response;
  if (!response.ParseFromString(raw)) {
    return Status::Corruption(language.plugin + " wrote a malformed CodeGeneratorResponse");
  }
  if (response.has_error()) return Status::InvalidArgument(language.plugin + ": " + response.error());
  bool any = false;
  for (const auto& file : response.file()) {
    if (file.name().empty()) {
      // A file with no name continues the previous one, per the plugin protocol.
      if (!any) return Status::Corruption(language.plugin + " wrote a file without a name");
      output->AppendToLast(file.content());
      continue;
    }
    output->AddFile(file.name(), file.insertion_point(), file.content());
    any = true;
  }
  return Status::Ok();
}

}  // namespace

Status CompileEach(const CompileRequest& request, GeneratedSink& sink) {
  if (request.languages.empty()) return Status::InvalidArgument("no language to compile for");
  std::vector<Language> languages;
  for (const auto& name : request.languages) {
    SPOKE_ASSIGN_OR_RETURN(Language language, FindLanguage(name));
    languages.push_back(language);
  }
  SPOKE_ASSIGN_OR_RETURN(std::unique_ptr<Parsed> parsed, Parse(request));
  // Generators only read the descriptors (the pool locks its own lookups), and each language has
  // generator objects of its own, so languages can run side by side.
  unsigned threads = std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(),
                                                     static_cast<unsigned>(languages.size())));
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  return RunInParallel(threads, [&](unsigned) -> Status {
    for (size_t i = next++; i < languages.size() && !failed; i = next++) {
      const Language& language = languages[i];
      auto it = request.parameters.find(language.name);
      std::string parameter = it == request.parameters.end() ? "" : it->second;
      MemoryOutput output(parsed->closure, [&](const std::string& path, std::string_view content) {
        sink.Written(language.name, path, content);
      });
      Status generated = language.plugin.empty() ? RunBuiltin(*parsed, language.name, parameter, &output)
                                                 : RunPluginGenerator(*parsed, language, parameter, &output);
      // The sink lets go of the contents before Finish() inserts into them and moves them.
      Status settled = sink.Generated(language.name);
      if (generated.ok()) generated = settled;
      std::set<std::string> unannounced;
      Result<GeneratedFiles> files = generated.ok() ? output.Finish(&unannounced) : Result<GeneratedFiles>(generated);
      Status sunk = files.ok() ? sink.Complete(language.name, std::move(*files), unannounced) : files.status();
      if (!sunk.ok()) {
        failed = true;
        return sunk;
      }
    }
    return Status::Ok();
  });
}

Result<std::map<std::string, GeneratedFiles>> Compile(const CompileRequest& request) {
  class Collector : public GeneratedSink {
   public:
    Status Complete(const std::string& language, GeneratedFiles files, const std::set<std::string>&) override {
      std::lock_guard<std::mutex> lock(mutex_);
      out_[language] = std::move(files);
      return Status::Ok();
    }
    std::map<std::string, GeneratedFiles> Take() { return std::move(out_); }

   private:
    std::mutex mutex_;
    std::map<std::string, GeneratedFiles> out_;
  };
  Collector collector;
  SPOKE_RETURN_IF_ERROR(CompileEach(request, collector));
  return collector.Take();
}

Result<std::string> BuildDescriptorSet(const CompileRequest& request, bool include_source_info) {
  SPOKE_ASSIGN_OR_RETURN(std::unique_ptr<Parsed> parsed, Parse(request));
  pb::FileDescriptorSet set;
  for (const auto* file : parsed->closure) {
    pb::FileDescriptorProto* proto = set.add_file();
    file->CopyTo(proto);
    file->CopyJsonNameTo(proto);
    if (include_source_info) file->CopySourceCodeInfoTo(proto);
  }
  std::string bytes;
  pb::io::StringOutputStream stream(&bytes);
  pb::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  set.SerializeToCodedStream(&coded);
  coded.Trim();
  return bytes;
}

}  // namespace spoke
