// RemoteClient: the sync protocol and the REST reads over an HttpTransport, with errors turned into
// Status values and every answer bounded (a JSON answer in memory, a pack streamed to a file).
#include "spoke/remote.h"

#include <fcntl.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <map>

#include "http_transport.h"
#include "wire.h"

namespace spoke {

std::string EncodeQueryValue(const std::string& value) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', kHex[c >> 4], kHex[c & 15]};
    }
  }
  return out;
}

namespace {

std::string Mib(uint64_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB"; }

// An answer's body collected in memory, up to a bound: over it, the receiver refuses the rest,
// which aborts the exchange before the bytes are read.
struct BoundedBody {
  explicit BoundedBody(uint64_t bound) : limit(bound) {}

  bool Append(const char* data, size_t length, uint64_t total) {
    if (total > limit || text.size() + length > limit) {
      over = true;
      return false;
    }
    if (text.empty()) {
      // Reserved once, at the announced length or else the bound: the block is mapped, not
      // touched, so memory follows what arrives, and the answer is never copied as it grows
      // (doubling would hold the old and the new buffer at once, and leave the small ones in
      // the heap).
      text.reserve(total > 0 ? total : limit);
    }
    text.append(data, length);
    return true;
  }

  uint64_t limit;
  std::string text;
  bool over = false;
};

// A fetched pack written to a file as it arrives, through a buffer so that the network's small
// pieces become large writes.
class PackFile {
 public:
  ~PackFile() {
    if (fd_ >= 0) close(fd_);
  }

  Status Open(const std::string& path) {
    path_ = path;
    fd_ = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) return Status::IOError("cannot create " + path + ": " + std::strerror(errno));
    buffer_.reserve(kBuffer);
    return Status::Ok();
  }

  // False after a write failed; status() says why.
  bool Append(const char* data, size_t length) {
    size_ += length;
    buffer_.append(data, length);
    return buffer_.size() < kBuffer || Flush();
  }

  bool Flush() {
    size_t done = 0;
    while (done < buffer_.size()) {
      ssize_t n = write(fd_, buffer_.data() + done, buffer_.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        error_ = Status::IOError("cannot write " + path_ + ": " + std::strerror(errno));
        return false;
      }
      done += static_cast<size_t>(n);
    }
    buffer_.clear();
    return true;
  }

  Status Close() {
    if (error_.ok() && !Flush()) return error_;
    int fd = fd_;
    fd_ = -1;
    if (close(fd) != 0 && error_.ok())
      error_ = Status::IOError("cannot write " + path_ + ": " + std::strerror(errno));
    return error_;
  }

  uint64_t size() const { return size_; }
  const Status& status() const { return error_; }

 private:
  static constexpr size_t kBuffer = 1 << 20;
  std::string path_;
  int fd_ = -1;
  std::string buffer_;
  uint64_t size_ = 0;
  Status error_;
};

}  // namespace

struct RemoteClient::Impl {
  RemoteOptions options;
  std::string base_path;  // the URL's path prefix, without a trailing '/'
  HttpTransportOptions transport_options;
  std::unique_ptr<HttpTransport> transport;  // made on the first exchange

  // One exchange. The transport module is loaded only when a command first talks to the registry,
  // so that a command that never does (a compile served locally) never loads it, and a missing
  // module is the failure of a request rather than of the command line.
  Result<HttpAnswer> Exchange(const HttpRequest& request) {
    if (!transport) {
      SPOKE_ASSIGN_OR_RETURN(transport, MakeHttpTransport(transport_options));
    }
    return transport->Send(request);
  }

  // An exchange whose answer is held in memory, bounded by kMaxJsonAnswerBytes.
  Result<HttpAnswer> BoundedExchange(HttpRequest request) {
    BoundedBody body(kMaxJsonAnswerBytes);
    request.receive = [&body](const char* data, size_t length, uint64_t, uint64_t total) {
      return body.Append(data, length, total);
    };
    SPOKE_ASSIGN_OR_RETURN(HttpAnswer answer, Exchange(request));
    if (body.over) return TooLarge(request.path, "an answer", kMaxJsonAnswerBytes);
    answer.body = std::move(body.text);
    return answer;
  }

  Status TooLarge(const std::string& path, const std::string& what, uint64_t limit) const {
    return Status::TooLarge("registry " + options.url + " sent " + what + " larger than " +
                            Mib(limit) + " for " + path + "; stopped reading it");
  }

  HttpRequest Request(const char* method, const std::string& path) const {
    HttpRequest request;
    request.method = method;
    request.path = base_path + path;
    request.headers.emplace_back("User-Agent", "spoke/0.1");
    if (!options.token.empty())
      request.headers.emplace_back("Authorization", "Bearer " + options.token);
    return request;
  }

  // Turns an exchange into the body of a 2xx answer, or a Status.
  Result<std::string> Body(Result<HttpAnswer> exchanged) const {
    if (!exchanged.ok()) return exchanged.status();
    HttpAnswer& answer = *exchanged;
    if (answer.status == 0 && answer.error.find("certificate verify failed") != std::string::npos) {
      // Not "unreachable": the registry answered, and retrying or falling back will not help.
      return Status::PermissionDenied(
          "registry " + options.url + ": " + answer.error +
          "; if it uses a private CA, give its certificate with --ca-file or SPOKE_CA_FILE");
    }
    if (answer.status == 0) {
      return Status::Unavailable(
          "registry " + options.url + " is unreachable (" + answer.error +
          "); check that spoke-server is running there, or set -registry / SPOKE_REGISTRY");
    }
    if (answer.status >= 200 && answer.status < 300) return std::move(answer.body);
    return wire::StatusFromErrorResponse(answer.status, answer.body);
  }

  Result<std::string> BoundedBodyOf(const HttpRequest& request) {
    return Body(BoundedExchange(request));
  }

  Result<Json> JsonExchange(const char* method, const std::string& path, const Json* body) {
    HttpRequest request = Request(method, path);
    std::string text;
    if (body) {
      text = body->Dump();
      request.content_type = "application/json";
      request.body = text;
    }
    SPOKE_ASSIGN_OR_RETURN(std::string answer, BoundedBodyOf(request));
    auto json = Json::Parse(answer);
    if (!json.ok()) return Status::Corruption("registry sent malformed JSON for " + path);
    return std::move(*json);
  }
};

RemoteClient::RemoteClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RemoteClient::~RemoteClient() = default;

const std::string& RemoteClient::url() const { return impl_->options.url; }

Result<std::unique_ptr<RemoteClient>> RemoteClient::Create(const RemoteOptions& options) {
  const std::string& url = options.url;
  std::string scheme;
  size_t host_start = 0;
  if (url.rfind("http://", 0) == 0) {
    scheme = "http://";
  } else if (url.rfind("https://", 0) == 0) {
    scheme = "https://";
  } else {
    return Status::InvalidArgument("registry URL \"" + url +
                                   "\" must start with http:// or https://");
  }
  host_start = scheme.size();
  size_t path_start = url.find('/', host_start);
  std::string host_port = url.substr(0, path_start);
  if (host_port.size() == scheme.size())
    return Status::InvalidArgument("registry URL \"" + url + "\" has no host");
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (path_start != std::string::npos) {
    impl->base_path = url.substr(path_start);
    while (!impl->base_path.empty() && impl->base_path.back() == '/') impl->base_path.pop_back();
  }
  impl->transport_options = {host_port, options.connect_timeout_seconds, options.io_timeout_seconds,
                             options.ca_file};
  return std::unique_ptr<RemoteClient>(new RemoteClient(std::move(impl)));
}

Result<std::unique_ptr<RemoteClient>> RemoteClient::Create(
    const RemoteOptions& options, std::unique_ptr<HttpTransport> transport) {
  if (!transport) return Status::InvalidArgument("a remote client needs a transport");
  SPOKE_ASSIGN_OR_RETURN(std::unique_ptr<RemoteClient> client, Create(options));
  client->impl_->transport = std::move(transport);
  return client;
}

Result<std::vector<RefEntry>> RemoteClient::ListRefs(const std::string& prefix) {
  return ListRefs(std::vector<std::string>{prefix});
}

Result<std::vector<RefEntry>> RemoteClient::ListRefs(const std::vector<std::string>& prefixes) {
  if (prefixes.empty()) return std::vector<RefEntry>();
  std::map<std::string, RefEntry> by_name;
  // Asked for in batches the registry takes; an older registry answers for the first prefix of
  // each request only (it says which it covered), and the others go again.
  std::vector<std::string> pending = prefixes;
  while (!pending.empty()) {
    const size_t batch = std::min(pending.size(), wire::kMaxRefPrefixes);
    std::string path = wire::kRefsPath;
    for (size_t i = 0; i < batch; ++i)
      path += (i == 0 ? "?prefix=" : "&prefix=") + EncodeQueryValue(pending[i]);
    SPOKE_ASSIGN_OR_RETURN(std::string body, impl_->BoundedBodyOf(impl_->Request("GET", path)));
    auto json = Json::Parse(body);
    if (!json.ok()) return Status::Corruption("registry sent a malformed ref list");
    SPOKE_ASSIGN_OR_RETURN(auto refs, wire::RefsFromJson(*json));
    for (auto& ref : refs) by_name.emplace(ref.name, std::move(ref));
    const size_t answered = wire::AnsweredRefPrefixes(*json).size() == batch ? batch : 1;
    pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(answered));
  }
  std::vector<RefEntry> refs;
  refs.reserve(by_name.size());
  for (auto& [name, ref] : by_name) refs.push_back(std::move(ref));
  return refs;
}

Result<uint64_t> RemoteClient::FetchPackToFile(const std::vector<std::string>& wants,
                                               const std::vector<std::string>& haves,
                                               const std::string& path) {
  HttpRequest request = impl_->Request("POST", wire::kFetchPath);
  const std::string body = wire::EncodeFetchRequest({wants, haves});
  request.content_type = "application/json";
  request.body = body;
  PackFile pack;
  SPOKE_RETURN_IF_ERROR(pack.Open(path));
  const uint64_t limit = impl_->options.max_pack_bytes;
  bool is_pack = false, pack_over = false;
  BoundedBody error_body(kMaxJsonAnswerBytes);  // an error answer's JSON
  request.started = [&is_pack](int status) {
    is_pack = status >= 200 && status < 300;
    return true;
  };
  auto progress = impl_->options.progress;
  request.receive = [&](const char* data, size_t length, uint64_t offset, uint64_t total) {
    if (!is_pack) return error_body.Append(data, length, total);
    // An announced length over the bound stops the fetch before its first byte is kept.
    if (total > limit || pack.size() + length > limit) {
      pack_over = true;
      return false;
    }
    if (!pack.Append(data, length)) return false;
    if (progress) progress("Receiving", offset + length, total);
    return true;
  };
  auto answer = impl_->Exchange(request);
  if (pack_over) {
    return Status::TooLarge(
        "registry " + impl_->options.url + " sent a pack larger than " + Mib(limit) +
        "; stopped reading it. If the registry is trusted and the pack expected, raise the "
        "limit (SPOKE_MAX_FETCH, e.g. SPOKE_MAX_FETCH=16G)");
  }
  if (error_body.over) return impl_->TooLarge(request.path, "an error answer", kMaxJsonAnswerBytes);
  if (!pack.status().ok()) return pack.status();
  if (answer.ok() && answer->status >= 200 && answer->status < 300) {
    SPOKE_RETURN_IF_ERROR(pack.Close());
    return pack.size();
  }
  if (answer.ok()) answer->body = std::move(error_body.text);
  return impl_->Body(std::move(answer)).status();
}

Result<std::vector<RefResult>> RemoteClient::Push(const std::string& pack,
                                                  const std::vector<RefUpdate>& updates) {
  const std::string header = wire::EncodePushHeader(updates);
  HttpRequest request = impl_->Request("POST", wire::kPushPath);
  request.content_type = wire::kPushContentType;
  request.body_head = header;
  request.body = pack;
  auto progress = impl_->options.progress;
  request.sent = [progress](uint64_t sent, uint64_t total) {
    if (progress) progress("Sending", sent, total);
  };
  SPOKE_ASSIGN_OR_RETURN(std::string response, impl_->BoundedBodyOf(request));
  auto json = Json::Parse(response);
  if (!json.ok()) return Status::Corruption("registry sent a malformed push answer");
  return wire::RefResultsFromJson(*json);
}

Result<std::vector<ImportResolution>> RemoteClient::ResolveImports(
    const std::vector<std::string>& paths) {
  std::vector<ImportResolution> answers;
  for (size_t start = 0; start < paths.size(); start += wire::kMaxImportQuery) {
    std::vector<std::string> batch(
        paths.begin() + start,
        paths.begin() + std::min(paths.size(), start + wire::kMaxImportQuery));
    HttpRequest request = impl_->Request("POST", wire::kImportsResolvePath);
    const std::string query = wire::EncodeImportQuery(batch);
    request.content_type = "application/json";
    request.body = query;
    SPOKE_ASSIGN_OR_RETURN(std::string body, impl_->BoundedBodyOf(request));
    auto json = Json::Parse(body);
    if (!json.ok()) return Status::Corruption("registry sent a malformed import answer");
    SPOKE_ASSIGN_OR_RETURN(auto part, wire::ImportResolutionsFromJson(*json));
    if (part.size() != batch.size())
      return Status::Corruption("registry answered for a different number of imports");
    // One answer per path, in order (docs/api.md); the caller looks each one's path up in what it
    // asked, so an answer about anything else is refused here.
    for (size_t i = 0; i < part.size(); ++i) {
      if (part[i].path != batch[i]) {
        return Status::Corruption("registry answered about import \"" +
                                  part[i].path.substr(0, 200) + "\" where \"" + batch[i] +
                                  "\" was asked");
      }
    }
    answers.insert(answers.end(), std::make_move_iterator(part.begin()),
                   std::make_move_iterator(part.end()));
  }
  return answers;
}

Status RemoteClient::NotifyMirror() {
  const Json no_body = Json::MakeObject();
  return impl_->JsonExchange("POST", wire::kNotifyPath, &no_body).status();
}

Result<Json> RemoteClient::GetModule(const std::string& module) {
  return impl_->JsonExchange("GET", "/modules/" + module, nullptr);
}

Result<Json> RemoteClient::CreateModule(const std::string& module, const std::string& description,
                                        const std::string& compatibility) {
  Json body = Json::MakeObject();
  body.Set("name", module);
  body.Set("description", description);
  body.Set("compatibility", compatibility);
  return impl_->JsonExchange("POST", "/modules", &body);
}

Result<Json> RemoteClient::SetCompatibility(const std::string& module,
                                            const std::string& compatibility) {
  Json body = Json::MakeObject();
  body.Set("compatibility", compatibility);
  return impl_->JsonExchange("PUT", "/modules/" + module + "/compatibility", &body);
}

Result<Json> RemoteClient::GetVersion(const std::string& module, const std::string& version) {
  return impl_->JsonExchange("GET", "/modules/" + module + "/versions/" + version, nullptr);
}

Result<Json> RemoteClient::Compile(const std::string& module, const std::string& version,
                                   const std::string& language, const CompileQuery& query) {
  std::string path = "/modules/" + module + "/versions/" + version + "/compile/" + language +
                     "?include_imports=" + (query.include_imports ? "true" : "false");
  if (!query.parameter.empty()) path += "&parameter=" + EncodeQueryValue(query.parameter);
  if (!query.go_package_prefix.empty())
    path += "&go_package_prefix=" + EncodeQueryValue(query.go_package_prefix);
  const Json no_body = Json::MakeObject();
  return impl_->JsonExchange("POST", path, &no_body);
}

Result<Json> RemoteClient::Search(const SearchQuery& query) {
  std::string path = "/search?q=" + EncodeQueryValue(query.text);
  if (query.limit > 0) path += "&limit=" + std::to_string(query.limit);
  if (!query.type.empty()) path += "&type=" + EncodeQueryValue(query.type);
  if (query.all_versions) path += "&all_versions=true";
  return impl_->JsonExchange("GET", path, nullptr);
}

}  // namespace spoke
