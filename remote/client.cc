// RemoteClient: the sync protocol and the REST reads over an HttpTransport, with errors turned into
// Status values.
#include "spoke/remote.h"

#include <cctype>

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

  HttpRequest Request(const char* method, const std::string& path) const {
    HttpRequest request;
    request.method = method;
    request.path = base_path + path;
    request.headers.emplace_back("User-Agent", "spoke/0.1");
    if (!options.token.empty()) request.headers.emplace_back("Authorization", "Bearer " + options.token);
    return request;
  }

  // Turns an exchange into the body of a 2xx answer, or a Status.
  Result<std::string> Body(Result<HttpAnswer> exchanged) const {
    if (!exchanged.ok()) return exchanged.status();
    HttpAnswer& answer = *exchanged;
    if (answer.status == 0) {
      return Status::Unavailable("registry " + options.url + " is unreachable (" + answer.error +
                                 "); check that spoke-server is running there, or set -registry / SPOKE_REGISTRY");
    }
    if (answer.status >= 200 && answer.status < 300) return std::move(answer.body);
    return wire::StatusFromErrorResponse(answer.status, answer.body);
  }

  Result<Json> JsonExchange(const char* method, const std::string& path, const Json* body) {
    HttpRequest request = Request(method, path);
    std::string text;
    if (body) {
      text = body->Dump();
      request.content_type = "application/json";
      request.body = text;
    }
    SPOKE_ASSIGN_OR_RETURN(std::string answer, Body(Exchange(request)));
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
  impl->transport_options = {host_port, options.connect_timeout_seconds, options.io_timeout_seconds};
  return std::unique_ptr<RemoteClient>(new RemoteClient(std::move(impl)));
}

Result<std::vector<RefEntry>> RemoteClient::ListRefs(const std::string& prefix) {
  HttpRequest request = impl_->Request("GET", std::string(wire::kRefsPath) + "?prefix=" + EncodeQueryValue(prefix));
  SPOKE_ASSIGN_OR_RETURN(std::string body, impl_->Body(impl_->Exchange(request)));
  auto json = Json::Parse(body);
  if (!json.ok()) return Status::Corruption("registry sent a malformed ref list");
  return wire::RefsFromJson(*json);
}

Result<std::string> RemoteClient::FetchPack(const std::vector<std::string>& wants,
                                            const std::vector<std::string>& haves) {
  HttpRequest request = impl_->Request("POST", wire::kFetchPath);
  const std::string body = wire::EncodeFetchRequest({wants, haves});
  request.content_type = "application/json";
  request.body = body;
  // The pack is collected through a receiver so progress can be shown as it arrives.
  std::string pack;
  auto progress = impl_->options.progress;
  request.receive = [&pack, progress](const char* data, size_t length, uint64_t offset, uint64_t total) {
    pack.append(data, length);
    if (progress) progress("Receiving", offset + length, total);
    return true;
  };
  auto answer = impl_->Exchange(request);
  if (answer.ok() && answer->status >= 200 && answer->status < 300) return pack;
  if (answer.ok()) answer->body = std::move(pack);  // an error answer's JSON arrived through the receiver
  return impl_->Body(std::move(answer));
}

Result<std::vector<RefResult>> RemoteClient::Push(const std::string& pack,
                                                  const std::vector<RefUpdate>& updates) {
  std::string body = wire::EncodePushHeader(updates);
  body += pack;
  HttpRequest request = impl_->Request("POST", wire::kPushPath);
  request.content_type = wire::kPushContentType;
  request.body = body;
  auto progress = impl_->options.progress;
  request.sent = [progress](uint64_t sent, uint64_t total) {
    if (progress) progress("Sending", sent, total);
  };
  SPOKE_ASSIGN_OR_RETURN(std::string response, impl_->Body(impl_->Exchange(request)));
  auto json = Json::Parse(response);
  if (!json.ok()) return Status::Corruption("registry sent a malformed push answer");
  return wire::RefResultsFromJson(*json);
}

Result<std::vector<ImportResolution>> RemoteClient::ResolveImports(const std::vector<std::string>& paths) {
  std::vector<ImportResolution> answers;
  for (size_t start = 0; start < paths.size(); start += wire::kMaxImportQuery) {
    std::vector<std::string> batch(paths.begin() + start,
                                   paths.begin() + std::min(paths.size(), start + wire::kMaxImportQuery));
    HttpRequest request = impl_->Request("POST", wire::kImportsResolvePath);
    const std::string query = wire::EncodeImportQuery(batch);
    request.content_type = "application/json";
    request.body = query;
    SPOKE_ASSIGN_OR_RETURN(std::string body, impl_->Body(impl_->Exchange(request)));
    auto json = Json::Parse(body);
    if (!json.ok()) return Status::Corruption("registry sent a malformed import answer");
    SPOKE_ASSIGN_OR_RETURN(auto part, wire::ImportResolutionsFromJson(*json));
    if (part.size() != batch.size()) return Status::Corruption("registry answered for a different number of imports");
    answers.insert(answers.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
  }
  return answers;
}

Result<Json> RemoteClient::GetJson(const std::string& path) { return impl_->JsonExchange("GET", path, nullptr); }

Result<Json> RemoteClient::PostJson(const std::string& path, const Json& body) {
  return impl_->JsonExchange("POST", path, &body);
}

Result<Json> RemoteClient::PutJson(const std::string& path, const Json& body) {
  return impl_->JsonExchange("PUT", path, &body);
}

}  // namespace spoke
