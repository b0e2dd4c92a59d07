// Connections to one database shared by the threads of a process: a thread takes one for a few
// statements and gives it back, so a server keeps as many open as it has threads at work at once,
// not one per repository handle or per request.
#ifndef SPOKE_POSTGRES_CONNECTION_POOL_H_
#define SPOKE_POSTGRES_CONNECTION_POOL_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "postgres/connection.h"
#include "spoke/status.h"

namespace spoke::postgres {

class ConnectionPool {
 public:
  // A connection taken from the pool, given back when the lease ends. Give it back outside a
  // transaction: a Transaction guard ends before its lease does.
  class Lease {
   public:
    Lease(Lease&& other) noexcept : pool_(other.pool_), connection_(std::move(other.connection_)) {}
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }
    // Closes the connection instead of giving it back: the caller saw it fail (Unavailable), and
    // the next taker must not inherit a dead connection.
    void Discard() { connection_.reset(); }

   private:
    friend class ConnectionPool;
    Lease(ConnectionPool* pool, std::unique_ptr<Connection> connection)
        : pool_(pool), connection_(std::move(connection)) {}
    ConnectionPool* pool_;
    std::unique_ptr<Connection> connection_;
  };

  // A pool of connections to `url` (Connection::Open's). Opens none until the first Take().
  explicit ConnectionPool(std::string url) : url_(std::move(url)) {}
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // An idle connection, or a new one: Connection::Open's error when it cannot be opened.
  // Thread-safe. REQUIRES: every lease ends before the pool does.
  Result<Lease> Take();

  // Discards the lease's connection when `status`, a statement's failure on it, is Unavailable
  // (the connection died or the server is going away); any other failure leaves it usable.
  static void DiscardIfLost(Lease& lease, const Status& status);

 private:
  void GiveBack(std::unique_ptr<Connection> connection);

  const std::string url_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace spoke::postgres

#endif  // SPOKE_POSTGRES_CONNECTION_POOL_H_
