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
#include "spoke/exec_path.h"
#include "spoke/go_import_path.h"
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
  for (int i = 0; i < file->dependency_count(); ++i)
    AddInDependencyOrder(file->dependency(i), seen, out);
  out->push_back(file);
}

Result<std::unique_ptr<Parsed>> Parse(const CompileRequest& request) {
  if (request.targets.empty())
    return Status::InvalidArgument("nothing to compile: no target files");
  auto parsed = std::make_unique<Parsed>();
  parsed->tree = std::make_unique<LoaderSourceTree>(request.sources, request.load);
  parsed->errors = std::make_unique<ErrorList>();
  parsed->importer = std::make_unique<pbc::Importer>(parsed->tree.get(), parsed->errors.get());
  for (const auto& target : request.targets) {
    if (!request.sources.count(target))
      return Status::InvalidArgument("target " + target + " is not among the sources");
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

// How much generating code for a file takes, roughly: its messages, fields, enum values and
// methods, counted. Only the order of units depends on it.
size_t MessageWeight(const pb::Descriptor* message) {
  size_t weight = 1 + static_cast<size_t>(message->field_count() + message->extension_count());
  for (int i = 0; i < message->nested_type_count(); ++i)
    weight += MessageWeight(message->nested_type(i));
  for (int i = 0; i < message->enum_type_count(); ++i)
    weight += 1 + static_cast<size_t>(message->enum_type(i)->value_count());
  return weight;
}

size_t DescriptorWeight(const pb::FileDescriptor* file) {
  size_t weight = 1 + static_cast<size_t>(file->extension_count());
  for (int i = 0; i < file->message_type_count(); ++i)
    weight += MessageWeight(file->message_type(i));
  for (int i = 0; i < file->enum_type_count(); ++i)
    weight += 1 + static_cast<size_t>(file->enum_type(i)->value_count());
  for (int i = 0; i < file->service_count(); ++i)
    weight += 1 + static_cast<size_t>(file->service(i)->method_count());
  return weight;
}

// Languages whose generators make each output from its own .proto alone: their GenerateAll() is
// the base class's loop over Generate(), so their targets can be split between threads. ObjC and
// PHP look across all the files at once (class prefix checks, aggregated metadata).
bool GeneratesFileByFile(const std::string& language) {
  return language == "cpp" || language == "java" || language == "kotlin" || language == "python" ||
         language == "csharp" || language == "ruby";
}

// The parameter string `language`'s generator gets: the caller's, after the default Go import
// paths of the files without go_package when the language takes them. protoc-gen-go reads its
// parameter left to right and the last M of a file wins, so the caller's own M items still do.
Result<std::string> ParameterFor(const CompileRequest& request, const Parsed& parsed,
                                 const Language& language) {
  auto given = request.parameters.find(language.name);
  std::string parameter = given == request.parameters.end() ? std::string() : given->second;
  if (!language.takes_go_import_paths || request.go_import_prefix.empty()) return parameter;
  std::vector<std::string> without_go_package;
  for (const auto* file : parsed.closure) {
    if (!file->options().has_go_package()) without_go_package.push_back(file->name());
  }
  SPOKE_ASSIGN_OR_RETURN(std::string defaults,
                         GoImportPathParameter(request.go_import_prefix, without_go_package));
  if (defaults.empty()) return parameter;
  return parameter.empty() ? defaults : defaults + "," + parameter;
}

Status RunBuiltin(const std::vector<std::unique_ptr<pbc::CodeGenerator>>& generators,
                  const std::vector<const pb::FileDescriptor*>& files, const std::string& language,
                  const std::string& parameter, MemoryOutput* output) {
  for (const auto& generator : generators) {
    std::string error;
    if (!generator->GenerateAll(files, parameter, output, &error)) {
      return Status::InvalidArgument(language + " generator: " + error);
    }
  }
  return Status::Ok();
}

Status RunPluginGenerator(const Parsed& parsed, const Language& language,
                          const std::string& parameter, MemoryOutput* output) {
  std::string binary = FindOnPath(language.plugin);
  if (binary.empty()) {
    return Status::Unavailable("the " + language.name + " generator needs " + language.plugin +
                               " on PATH; install it with: apt-get install " +
                               language.debian_package);
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
  // The plugin refused what it was given (a go_package it cannot use, say): the input is
  // well-formed protobuf, but this generator will not take it.
  if (response.has_error()) {
    return Status::FailedPrecondition(language.plugin + ": " + response.error());
  }
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

  // The work, in units: one per target file for a language generated file by file, else one for
  // all of the language's targets. protoc generates one file after another; here every core takes
  // the next unit, so one language is generated as fast as several. Generators only read the
  // descriptors (the pool locks its own lookups), and each thread has generator objects and an
  // output of its own per language.
  struct Unit {
    size_t language;  // index into `languages`
    std::vector<const pb::FileDescriptor*> files;
  };
  std::vector<Unit> units;
  for (size_t l = 0; l < languages.size(); ++l) {
    if (!languages[l].plugin.empty() || !GeneratesFileByFile(languages[l].name))
      units.push_back({l, parsed->targets});
  }
  for (const auto* target : parsed->targets) {
    for (size_t l = 0; l < languages.size(); ++l) {
      if (languages[l].plugin.empty() && GeneratesFileByFile(languages[l].name))
        units.push_back({l, {target}});
    }
  }
  std::vector<std::string> parameters;
  for (const auto& language : languages) {
    SPOKE_ASSIGN_OR_RETURN(std::string parameter, ParameterFor(request, *parsed, language));
    parameters.push_back(std::move(parameter));
  }

  struct ThreadLanguage {
    std::vector<std::unique_ptr<pbc::CodeGenerator>> generators;
    std::unique_ptr<MemoryOutput> output;
  };
  const unsigned threads = std::max(1u, std::min<unsigned>(std::thread::hardware_concurrency(),
                                                           static_cast<unsigned>(units.size())));
  std::vector<std::vector<ThreadLanguage>> per_thread(threads);
  for (auto& thread : per_thread) thread.resize(languages.size());
  std::vector<Status> unit_status(units.size());
  // Units are claimed from both ends of a list sorted heaviest first: the calling thread takes
  // from the heavy end, the others from the light end, until they meet. glibc gives every thread
  // a malloc arena of its own that keeps the high-water mark of the largest file generated on
  // it, so the big files are made in the arena that already holds the descriptors, and the
  // helpers' arenas stay small (a typical module's cpp: 2.8 MB down to 1.5 MB). Meeting in the
  // middle, the threads still finish together.
  std::vector<size_t> order(units.size());
  {
    std::vector<size_t> weight(units.size(), 0);
    for (size_t u = 0; u < units.size(); ++u) {
      for (const auto* file : units[u].files) weight[u] += DescriptorWeight(file);
      order[u] = u;
    }
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return weight[a] > weight[b]; });
  }
  std::mutex claim_mutex;
  size_t heavy_end = 0, light_end = units.size();
  // The next unit for `thread`, or units.size() when none is left.
  auto claim = [&](unsigned thread) -> size_t {
    std::lock_guard<std::mutex> lock(claim_mutex);
    if (heavy_end == light_end) return units.size();
    return thread == 0 ? order[heavy_end++] : order[--light_end];
  };
  // The lowest unit that failed: later units are skipped, earlier ones still run, so the error
  // reported is the first in unit order, as one thread would have met it.
  std::atomic<size_t> first_failed{units.size()};
  Status ran = RunInParallel(threads, [&](unsigned thread) -> Status {
    for (size_t u = claim(thread); u < units.size(); u = claim(thread)) {
      if (u > first_failed) continue;  // after a failed unit in unit order: its outcome is moot
      const Language& language = languages[units[u].language];
      ThreadLanguage& mine = per_thread[thread][units[u].language];
      if (!mine.output) {
        mine.output = std::make_unique<MemoryOutput>(
            parsed->closure,
            [&sink, name = language.name](const std::string& path, std::string_view content) {
              return sink.Written(name, path, content);
            },
            [&sink, name = language.name](const std::string& path,
                                          const std::vector<std::string_view>& pieces) {
              return sink.Take(name, path, pieces);
            });
        if (language.plugin.empty()) mine.generators = BuiltinGenerators(language.name);
      }
      mine.output->BeginUnit(u);
      unit_status[u] = language.plugin.empty()
                           ? RunBuiltin(mine.generators, units[u].files, language.name,
                                        parameters[units[u].language], mine.output.get())
                           : RunPluginGenerator(*parsed, language, parameters[units[u].language],
                                                mine.output.get());
      if (!unit_status[u].ok()) {
        size_t lowest = first_failed;
        while (u < lowest && !first_failed.compare_exchange_weak(lowest, u)) {
        }
      }
    }
    return Status::Ok();
  });
  // Every language is settled before anything can return, failed or not: until Generated()
  // returns, the sink may still read contents that the outputs below own.
  Status settled = Status::Ok();
  for (const auto& language : languages) {
    Status status = sink.Generated(language.name);
    if (settled.ok()) settled = status;
  }
  SPOKE_RETURN_IF_ERROR(ran);
  for (const auto& status : unit_status) SPOKE_RETURN_IF_ERROR(status);
  SPOKE_RETURN_IF_ERROR(settled);

  for (size_t l = 0; l < languages.size(); ++l) {
    MemoryOutput merged(parsed->closure, nullptr);
    for (auto& thread : per_thread) {
      if (thread[l].output) merged.Absorb(std::move(*thread[l].output));
    }
    std::set<std::string> unannounced;
    SPOKE_ASSIGN_OR_RETURN(GeneratedFiles files, merged.Finish(&unannounced));
    SPOKE_RETURN_IF_ERROR(sink.Complete(languages[l].name, std::move(files), unannounced));
  }
  return Status::Ok();
}

Result<std::map<std::string, GeneratedFiles>> Compile(const CompileRequest& request) {
  class Collector : public GeneratedSink {
   public:
    Status Complete(const std::string& language, GeneratedFiles files,
                    const std::set<std::string>&) override {
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
