// TLS for the HTTP server's connections (http_server.h): the server's OpenSSL context, and byte
// I/O on a non-blocking socket that may carry TLS, with recv()/send()'s conventions so the
// reactor and the workers read and write a connection the same way whether it is TLS or not.
#ifndef SPOKE_REMOTE_TLS_SOCKET_H_
#define SPOKE_REMOTE_TLS_SOCKET_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "spoke/status.h"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace spoke::http {

class TlsContext {
 public:
  // The server's context: TLS 1.2 or later, this certificate chain and key (PEM files).
  // InvalidArgument naming the file that cannot be used, or when the key is not the
  // certificate's.
  static Result<std::unique_ptr<TlsContext>> Load(const std::string& cert_file,
                                                  const std::string& key_file);
  ~TlsContext();

  // A server-side session on the connected socket `fd`, or null when OpenSSL cannot make one.
  // The caller frees it with SSL_free (FreeSession).
  SSL* NewSession(int fd) const;

  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

void FreeSession(SSL* ssl);

enum class HandshakeStep { kDone, kWantRead, kWantWrite, kFailed };
// Advances the server side of the handshake as far as the socket allows.
HandshakeStep ContinueHandshake(SSL* ssl);

// Whether the first byte waiting on `fd` (peeked, not consumed) cannot start a TLS handshake
// (a TLS record of type handshake starts with 0x16): a plain-HTTP client on the HTTPS port.
// False when nothing is waiting yet.
bool PlainTextWaiting(int fd);

// recv() on `fd`, or SSL_read on `ssl` when not null, with recv()'s results: > 0 bytes, 0 when
// the peer closed, -1 with errno EAGAIN when it would block (for TLS: wants to read or write),
// EINTR, or another errno (EIO for a TLS failure).
ssize_t ReceiveSome(int fd, SSL* ssl, char* buf, size_t size);
// send() with MSG_NOSIGNAL on `fd`, or SSL_write on `ssl` when not null, with the same results;
// `*wants_read` (TLS only) says the blocked write waits for the socket to become readable.
ssize_t SendSome(int fd, SSL* ssl, const char* data, size_t size, bool* wants_read);
// Whether decrypted bytes are buffered in `ssl` (the socket may then not look readable).
bool HasBuffered(SSL* ssl);
// Sends TLS's close_notify, best effort and without waiting.
void CloseNotify(SSL* ssl);

}  // namespace spoke::http

#endif  // SPOKE_REMOTE_TLS_SOCKET_H_
