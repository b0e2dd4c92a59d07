// The HTTP transport over cpp-httplib (with OpenSSL for https): MakeHttpTransport's one
// implementation.
#include <httplib.h>

#include <algorithm>
#include <memory>
#include <string>

#include "http_transport.h"

namespace spoke {
namespace {

class HttplibTransport : public HttpTransport {
 public:
  explicit HttplibTransport(const HttpTransportOptions& options)
      : client_(options.origin), ca_file_(options.ca_file) {
    client_.set_connection_timeout(options.connect_timeout_seconds, 0);
    client_.set_read_timeout(options.io_timeout_seconds, 0);
    client_.set_write_timeout(options.io_timeout_seconds, 0);
    client_.set_keep_alive(true);
    // Requests are small and answered at once: with Nagle's algorithm a reply's body waits ~40 ms
    // for the ACK of its header (delayed ACK) on every keep-alive request.
    client_.set_tcp_nodelay(true);
    // https: the registry's certificate is checked against the system's CAs, or the given ones.
    client_.enable_server_certificate_verification(true);
    if (!options.ca_file.empty()) client_.set_ca_cert_path(options.ca_file.c_str());
  }

  HttpAnswer Send(const HttpRequest& request) override {
    httplib::Request req;
    req.method = request.method;
    req.path = request.path;
    req.headers = httplib::Headers(request.headers.begin(), request.headers.end());
    if (!request.content_type.empty()) req.headers.emplace("Content-Type", request.content_type);
    const std::string_view head = request.body_head, body = request.body;
    const size_t body_size = head.size() + body.size();
    if (request.sent) {
      // A large body, sent in pieces so progress can be shown: what Client::Post does with a
      // content provider, through send() so that the answer can have a receiver too. A piece
      // never spans the head and the body.
      const auto& sent = request.sent;
      req.content_length_ = body_size;
      req.content_provider_ = [head, body, body_size, &sent](size_t offset, size_t length,
                                                             httplib::DataSink& sink) {
        constexpr size_t kPiece = 1 << 20;
        const bool in_head = offset < head.size();
        const char* from = in_head ? head.data() + offset : body.data() + (offset - head.size());
        const size_t left = in_head ? head.size() - offset : body_size - offset;
        size_t n = std::min({length, kPiece, left});
        if (!sink.write(from, n)) return false;
        sent(offset + n, body_size);
        return true;
      };
    } else if (!request.content_type.empty()) {
      req.body.reserve(body_size);
      req.body.assign(head);
      req.body.append(body);
    }
    if (request.started) {
      const auto& started = request.started;
      req.response_handler = [&started](const httplib::Response& res) {
        return started(res.status);
      };
    }
    if (request.receive) {
      const auto& receive = request.receive;
      req.content_receiver = [&receive](const char* data, size_t length, uint64_t offset,
                                        uint64_t total) {
        return receive(data, length, offset, total);
      };
    }
    httplib::Result result = client_.send(req);
    HttpAnswer answer;
    if (!result) {
      answer.error = httplib::to_string(result.error());
      if (result.error() == httplib::Error::SSLServerVerification) {
        answer.error =
            "certificate verify failed (the registry's certificate is not signed by a trusted CA, "
            "or does not name this host)";
      } else if (result.error() == httplib::Error::SSLLoadingCerts) {
        answer.error = "cannot load the CA certificates" +
                       (ca_file_.empty() ? std::string() : " of " + ca_file_);
      }
      return answer;
    }
    answer.status = result->status;
    answer.body = std::move(result->body);
    return answer;
  }

 private:
  httplib::Client client_;
  std::string ca_file_;
};

}  // namespace

Result<std::unique_ptr<HttpTransport>> MakeHttpTransport(const HttpTransportOptions& options) {
  return std::unique_ptr<HttpTransport>(std::make_unique<HttplibTransport>(options));
}

}  // namespace spoke
