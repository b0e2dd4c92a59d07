// The server's TLS: an OpenSSL context loaded from PEM files and non-blocking I/O on one
// connection's session (tls_socket.h).
#include "tls_socket.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace spoke::http {
namespace {

// OpenSSL's last error, for a message; clears the queue.
std::string LastSslError() {
  unsigned long code = ERR_get_error();
  std::string text;
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    text = buf;
  }
  ERR_clear_error();
  return text.empty() ? "unknown OpenSSL error" : text;
}

// Maps an SSL_read/SSL_write result to recv()'s conventions.
ssize_t AsSocketResult(SSL* ssl, int n, bool* wants_read) {
  if (n > 0) return n;
  int error = SSL_get_error(ssl, n);
  switch (error) {
    case SSL_ERROR_WANT_READ:
      if (wants_read) *wants_read = true;
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_WANT_WRITE:
      if (wants_read) *wants_read = false;
      errno = EAGAIN;
      return -1;
    case SSL_ERROR_ZERO_RETURN:
      return 0;
    case SSL_ERROR_SYSCALL:
      ERR_clear_error();
      if (errno == 0) return 0;  // the peer closed without close_notify
      return -1;
    default:
      ERR_clear_error();
      errno = EIO;
      return -1;
  }
}

}  // namespace

Result<std::unique_ptr<TlsContext>> TlsContext::Load(const std::string& cert_file,
                                                     const std::string& key_file) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) return Status::Internal("cannot make a TLS context: " + LastSslError());
  std::unique_ptr<TlsContext> owned(new TlsContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // Writes resume with the same buffer moved (the answer's string) and may be partial.
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1)
    return Status::InvalidArgument("cannot use --tls-cert " + cert_file + ": " + LastSslError());
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    return Status::InvalidArgument("cannot use --tls-key " + key_file + ": " + LastSslError());
  if (SSL_CTX_check_private_key(ctx) != 1)
    return Status::InvalidArgument("--tls-key " + key_file + " is not the key of --tls-cert " +
                                   cert_file);
  return owned;
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

SSL* TlsContext::NewSession(int fd) const {
  SSL* ssl = SSL_new(ctx_);
  if (!ssl) return nullptr;
  if (SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  return ssl;
}

void FreeSession(SSL* ssl) { SSL_free(ssl); }

HandshakeStep ContinueHandshake(SSL* ssl) {
  int rc = SSL_do_handshake(ssl);
  if (rc == 1) return HandshakeStep::kDone;
  int error = SSL_get_error(ssl, rc);
  ERR_clear_error();
  if (error == SSL_ERROR_WANT_READ) return HandshakeStep::kWantRead;
  if (error == SSL_ERROR_WANT_WRITE) return HandshakeStep::kWantWrite;
  return HandshakeStep::kFailed;
}

bool PlainTextWaiting(int fd) {
  unsigned char first = 0;
  ssize_t n = recv(fd, &first, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 1 && first != 0x16;
}

ssize_t ReceiveSome(int fd, SSL* ssl, char* buf, size_t size) {
  if (!ssl) return recv(fd, buf, size, 0);
  errno = 0;
  return AsSocketResult(ssl, SSL_read(ssl, buf, static_cast<int>(size)), nullptr);
}

ssize_t SendSome(int fd, SSL* ssl, const char* data, size_t size, bool* wants_read) {
  *wants_read = false;
  if (!ssl) return send(fd, data, size, MSG_NOSIGNAL);
  errno = 0;
  const int n = static_cast<int>(std::min<size_t>(size, 1 << 20));
  return AsSocketResult(ssl, SSL_write(ssl, data, n), wants_read);
}

bool HasBuffered(SSL* ssl) { return ssl && SSL_pending(ssl) > 0; }

void CloseNotify(SSL* ssl) {
  if (ssl && SSL_is_init_finished(ssl)) {
    SSL_shutdown(ssl);
    ERR_clear_error();
  }
}

}  // namespace spoke::http
