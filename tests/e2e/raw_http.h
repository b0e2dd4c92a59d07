// A raw HTTP/1.1 connection for tests that send what no well-behaved client would: bytes one at a
// time, conflicting framing headers, pipelined requests, connections from other loopback
// addresses. Every wait has a deadline; nothing sleeps.
#ifndef SPOKE_TESTS_E2E_RAW_HTTP_H_
#define SPOKE_TESTS_E2E_RAW_HTTP_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace spoke::e2e {

struct RawResponse {
  int status = 0;
  std::string head;  // status line and headers
  std::string body;
  // The first value of header `name` (case-insensitive), or "".
  std::string Header(const std::string& name) const;
};

class RawConnection {
 public:
  // Connects to 127.0.0.1:`port`, from the loopback address `source` when given ("127.0.0.2";
  // every 127.x.y.z is this machine). nullptr, with a test failure, when it cannot.
  static std::unique_ptr<RawConnection> Open(int port, const std::string& source = "");
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // False when the server closed or reset the connection.
  bool Send(std::string_view data);
  // Reads one answer (its Content-Length body included); nullopt when none came whole within
  // `deadline` or the connection closed first. 1xx answers are returned like any other.
  std::optional<RawResponse> Read(std::chrono::milliseconds deadline);
  // True when the server closes the connection within `deadline` (what arrives is dropped).
  bool WaitForClose(std::chrono::milliseconds deadline);

 private:
  explicit RawConnection(int fd) : fd_(fd) {}
  int fd_;
  std::string buffered_;
};

// One request on a new connection; the answer, or nullopt (with no failure recorded).
std::optional<RawResponse> RawRequest(
    int port, const std::string& request,
    std::chrono::milliseconds deadline = std::chrono::seconds(10));

}  // namespace spoke::e2e

#endif  // SPOKE_TESTS_E2E_RAW_HTTP_H_
