// The HTTP side of RemoteClient: cpp-httplib underneath, errors turned into Status values.
#include "spoke/remote.h"

#include <httplib.h>

#include "wire.h"

namespace spoke {

struct RemoteClient::Impl {
  RemoteOptions options;
  std::string base_path;  // the URL's path prefix, without a trailing '/'
  std::unique_ptr<httplib::Client> http;

  httplib::Headers Headers() const {
    httplib::Headers headers{{"User-Agent", "spoke/0.1"}};
    if (!options.token.empty()) headers.emplace("Authorization", "Bearer " + options.token);
    return headers;
  }

  Status Unreachable(const httplib::Result& result) const {
    return Status::Unavailable("registry " + options.url + " is unreachable (" +
                               httplib::to_string(result.error()) +
                               "); check that spoke-server is running there, or set -registry / SPOKE_REGISTRY");
  }

  // Turns a transport result into the body of a 2xx answer, or a Status.
  Result<std::string> Body(const httplib::Result& result) const {
    if (!result) return Unreachable(result);
    if (result->status >= 200 && result->status < 300) return result->body;
    return wire::StatusFromErrorResponse(result->status, result->body);
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
    return Status::InvalidArgument("registry URL \"" + url + "\" must start with http:// or https://");
  }
  host_start = scheme.size();
  size_t path_start = url.find('/', host_start);
  std::string host_port = url.substr(0, path_start);
  if (host_port.size() == scheme.size()) return Status::InvalidArgument("registry URL \"" + url + "\" has no host");
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  if (path_start != std::string::npos) {
    impl->base_path = url.substr(path_start);
    while (!impl->base_path.empty() && impl->base_path.back() == '/') impl->base_path.pop_back();
  }
  impl->http = std::make_unique<httplib::Client>(host_port);
  impl->http->set_connection_timeout(options.connect_timeout_seconds, 0);
  impl->http->set_read_timeout(options.io_timeout_seconds, 0);
  impl->http->set_write_timeout(options.io_timeout_seconds, 0);
  impl->http->set_keep_alive(true);
  // Requests are small and answered at once: with Nagle's algorithm a reply's body waits ~40 ms
  // for the ACK of its header (delayed ACK) on every keep-alive request.
  impl->http->set_tcp_nodelay(true);
  return std::unique_ptr<RemoteClient>(new RemoteClient(std::move(impl)));
}

Result<std::vector<RefEntry>> RemoteClient::ListRefs(const std::string& prefix) {
  std::string path = impl_->base_path + wire::kRefsPath + "?prefix=" + httplib::detail::encode_query_param(prefix);
  auto result = impl_->http->Get(path, impl_->Headers());
  SPOKE_ASSIGN_OR_RETURN(std::string body, impl_->Body(result));
  auto json = Json::Parse(body);
  if (!json.ok()) return Status::Corruption("registry sent a malformed ref list");
  return wire::RefsFromJson(*json);
}

Result<std::string> RemoteClient::FetchPack(const std::vector<std::string>& wants,
                                            const std::vector<std::string>& haves) {
  httplib::Request req;
  req.method = "POST";
  req.path = impl_->base_path + wire::kFetchPath;
  req.headers = impl_->Headers();
  req.headers.emplace("Content-Type", "application/json");
  req.body = wire::EncodeFetchRequest({wants, haves});
  // The pack is collected through a receiver so progress can be shown as it arrives.
  std::string pack;
  auto progress = impl_->options.progress;
  req.content_receiver = [&pack, progress](const char* data, size_t length, uint64_t offset,
                                           uint64_t total) {
    pack.append(data, length);
    if (progress) progress("Receiving", offset + length, total);
    return true;
  };
  auto result = impl_->http->send(req);
  if (result && result->status >= 200 && result->status < 300) return pack;
  if (result) result->body = pack;  // an error answer's JSON arrived through the receiver
  return impl_->Body(result);
}

Result<std::vector<RefResult>> RemoteClient::Push(const std::string& pack,
                                                  const std::vector<RefUpdate>& updates) {
  std::string body = wire::EncodePushHeader(updates);
  body += pack;
  auto progress = impl_->options.progress;
  auto result = impl_->http->Post(
      impl_->base_path + wire::kPushPath, impl_->Headers(), body.size(),
      [&body, progress](size_t offset, size_t length, httplib::DataSink& sink) {
        constexpr size_t kChunk = 1 << 20;
        size_t n = std::min(length, kChunk);
        if (!sink.write(body.data() + offset, n)) return false;
        if (progress) progress("Sending", offset + n, body.size());
        return true;
      },
      wire::kPushContentType);
  SPOKE_ASSIGN_OR_RETURN(std::string response, impl_->Body(result));
  auto json = Json::Parse(response);
  if (!json.ok()) return Status::Corruption("registry sent a malformed push answer");
  return wire::RefResultsFromJson(*json);
}

Result<std::vector<ImportResolution>> RemoteClient::ResolveImports(const std::vector<std::string>& paths) {
  std::vector<ImportResolution> answers;
  for (size_t start = 0; start < paths.size(); start += wire::kMaxImportQuery) {
    std::vector<std::string> batch(paths.begin() + start,
                                   paths.begin() + std::min(paths.size(), start + wire::kMaxImportQuery));
    auto result = impl_->http->Post(impl_->base_path + wire::kImportsResolvePath, impl_->Headers(),
                                    wire::EncodeImportQuery(batch), "application/json");
    SPOKE_ASSIGN_OR_RETURN(std::string body, impl_->Body(result));
    auto json = Json::Parse(body);
    if (!json.ok()) return Status::Corruption("registry sent a malformed import answer");
    SPOKE_ASSIGN_OR_RETURN(auto part, wire::ImportResolutionsFromJson(*json));
    if (part.size() != batch.size()) return Status::Corruption("registry answered for a different number of imports");
    answers.insert(answers.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
  }
  return answers;
}

Result<Json> RemoteClient::GetJson(const std::string& path) {
  auto result = impl_->http->Get(impl_->base_path + path, impl_->Headers());
  SPOKE_ASSIGN_OR_RETURN(std::string body, impl_->Body(result));
  auto json = Json::Parse(body);
  if (!json.ok()) return Status::Corruption("registry sent malformed JSON for " + path);
  return std::move(*json);
}

Result<Json> RemoteClient::PostJson(const std::string& path, const Json& body) {
  auto result = impl_->http->Post(impl_->base_path + path, impl_->Headers(), body.Dump(), "application/json");
  SPOKE_ASSIGN_OR_RETURN(std::string answer, impl_->Body(result));
  auto json = Json::Parse(answer);
  if (!json.ok()) return Status::Corruption("registry sent malformed JSON for " + path);
  return std::move(*json);
}

Result<Json> RemoteClient::PutJson(const std::string& path, const Json& body) {
  auto result = impl_->http->Put(impl_->base_path + path, impl_->Headers(), body.Dump(), "application/json");
  SPOKE_ASSIGN_OR_RETURN(std::string answer, impl_->Body(result));
  auto json = Json::Parse(answer);
  if (!json.ok()) return Status::Corruption("registry sent malformed JSON for " + path);
  return std::move(*json);
}

}  // namespace spoke
