// The in-memory twin of the HTTP transport: requests written as HTTP/1.1 heads and answered by the
// registry's own request handling in this process (in_process_transport.h).
#include "in_process_transport.h"

#include <algorithm>
#include <string>

namespace spoke {
namespace {

constexpr size_t kSentPiece = size_t{1} << 20;       // as the socket transport sends a body
constexpr size_t kReceivedPiece = size_t{64} << 10;  // a typical read from a socket

HttpAnswer Canceled() {
  HttpAnswer answer;
  answer.error = "Canceled";
  return answer;
}

}  // namespace

HttpAnswer InProcessTransport::Send(const HttpRequest& request) {
  ++exchanges_;
  // The server reads one body: a body_head is joined to it here. The copy a socket transport
  // avoids costs nothing that matters in a test's twin.
  std::string joined;
  std::string_view sent_body = request.body;
  if (!request.body_head.empty()) {
    joined.reserve(request.body_head.size() + request.body.size());
    joined.append(request.body_head).append(request.body);
    sent_body = joined;
  }
  std::string head = request.method + " " + request.path + " HTTP/1.1\r\nHost: in-process\r\n";
  for (const auto& [name, value] : request.headers) head += name + ": " + value + "\r\n";
  if (!request.content_type.empty()) {
    head += "Content-Type: " + request.content_type + "\r\n";
    head += "Content-Length: " + std::to_string(sent_body.size()) + "\r\n";
  }
  head += "\r\n";
  if (request.sent) {
    for (size_t done = 0; done < sent_body.size();) {
      done += std::min(kSentPiece, sent_body.size() - done);
      request.sent(done, sent_body.size());
    }
  }
  http::Response response = api_.AnswerInProcess(head, sent_body);
  if (request.started && !request.started(response.status)) return Canceled();
  HttpAnswer answer;
  answer.status = response.status;
  if (!request.receive) {
    answer.body = std::move(response.body);
    return answer;
  }
  const std::string& body = response.body;
  for (size_t offset = 0; offset < body.size();) {
    size_t length = std::min(kReceivedPiece, body.size() - offset);
    if (!request.receive(body.data() + offset, length, offset, body.size())) return Canceled();
    offset += length;
  }
  return answer;
}

}  // namespace spoke
