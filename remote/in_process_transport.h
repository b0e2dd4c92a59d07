// InProcessTransport: the in-memory twin of the HTTP transport (http_transport.h), which hands
// each request to a registry's API in this process instead of sending it over a socket, so the
// sync protocol and RemoteClient can be tested without a network.
//
// Only the carrier is replaced: the request is written as an HTTP/1.1 head and given to
// http::Server::AnswerInProcess, which parses, routes, gates and bounds it exactly as a request
// read from a connection, and runs the same handler. The answer is handed back through the
// request's callbacks in the order a socket transport delivers it: `sent` after each piece of at
// most 1 MiB of the body, then `started` with the status, then `receive` in pieces of 64 KiB with
// the body's length as the total. A callback returning false ends the exchange with status 0 and
// error "Canceled", as cpp-httplib's transport reports it.
#ifndef SPOKE_REMOTE_IN_PROCESS_TRANSPORT_H_
#define SPOKE_REMOTE_IN_PROCESS_TRANSPORT_H_

#include <cstddef>

#include "http_server.h"
#include "http_transport.h"
#include "spoke/server.h"

namespace spoke {

class InProcessTransport : public HttpTransport {
 public:
  // REQUIRES: `api` outlives this transport.
  explicit InProcessTransport(http::Server& api) : api_(api) {}

  HttpAnswer Send(const HttpRequest& request) override;

  // The requests sent so far: a test counts the round trips an operation costs.
  size_t exchanges() const { return exchanges_; }

 private:
  http::Server& api_;
  size_t exchanges_ = 0;
};

// The API listener of a registry made by Server::Create (not its health listener), for an
// InProcessTransport. Bind() need not have been called.
http::Server& RegistryApi(Server& registry);

}  // namespace spoke

#endif  // SPOKE_REMOTE_IN_PROCESS_TRANSPORT_H_
