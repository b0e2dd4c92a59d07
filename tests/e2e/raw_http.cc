// Raw HTTP connections for the hardening tests (raw_http.h).
#include "raw_http.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace spoke::e2e {
namespace {

using Clock = std::chrono::steady_clock;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string RawResponse::Header(const std::string& name) const {
  const std::string wanted = Lower(name) + ":";
  size_t pos = head.find("\r\n");
  while (pos != std::string::npos && pos + 2 < head.size()) {
    size_t end = head.find("\r\n", pos + 2);
    std::string line =
        head.substr(pos + 2, end == std::string::npos ? std::string::npos : end - pos - 2);
    if (Lower(line.substr(0, wanted.size())) == wanted) {
      std::string value = line.substr(wanted.size());
      size_t first = value.find_first_not_of(" \t");
      return first == std::string::npos ? "" : value.substr(first);
    }
    pos = end;
  }
  return "";
}

std::unique_ptr<RawConnection> RawConnection::Open(int port, const std::string& source) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ADD_FAILURE() << "socket: " << std::strerror(errno);
    return nullptr;
  }
  if (!source.empty()) {
    sockaddr_in from{};
    from.sin_family = AF_INET;
    inet_pton(AF_INET, source.c_str(), &from.sin_addr);
    if (bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof(from)) != 0) {
      ADD_FAILURE() << "bind to " << source << ": " << std::strerror(errno);
      close(fd);
      return nullptr;
    }
  }
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
    ADD_FAILURE() << "connect to port " << port << ": " << std::strerror(errno);
    close(fd);
    return nullptr;
  }
  return std::unique_ptr<RawConnection>(new RawConnection(fd));
}

RawConnection::~RawConnection() { close(fd_); }

bool RawConnection::Send(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::optional<RawResponse> RawConnection::Read(std::chrono::milliseconds deadline) {
  const auto until = Clock::now() + deadline;
  while (true) {
    size_t head_end = buffered_.find("\r\n\r\n");
    if (head_end != std::string::npos) {
      RawResponse response;
      response.head = buffered_.substr(0, head_end);
      response.status =
          std::atoi(response.head.c_str() + std::min<size_t>(9, response.head.size()));
      std::string length = response.Header("Content-Length");
      size_t body_length = length.empty() ? 0 : std::stoull(length);
      if (buffered_.size() >= head_end + 4 + body_length) {
        response.body = buffered_.substr(head_end + 4, body_length);
        buffered_.erase(0, head_end + 4 + body_length);
        return response;
      }
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    if (left <= 0) return std::nullopt;
    pollfd readable{fd_, POLLIN, 0};
    int ready = poll(&readable, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return std::nullopt;
    char piece[16384];
    ssize_t n = recv(fd_, piece, sizeof(piece), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    buffered_.append(piece, static_cast<size_t>(n));
  }
}

bool RawConnection::WaitForClose(std::chrono::milliseconds deadline) {
  const auto until = Clock::now() + deadline;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    if (left <= 0) return false;
    pollfd readable{fd_, POLLIN, 0};
    int ready = poll(&readable, 1, static_cast<int>(left));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    char piece[16384];
    ssize_t n = recv(fd_, piece, sizeof(piece), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;
  }
}

std::optional<RawResponse> RawRequest(int port, const std::string& request,
                                      std::chrono::milliseconds deadline) {
  auto connection = RawConnection::Open(port);
  if (!connection || !connection->Send(request)) return std::nullopt;
  return connection->Read(deadline);
}

}  // namespace spoke::e2e
