// Connections to one database shared by the threads of a process: a thread takes one for a few
// statements and gives it back, so a server keeps as many open as it has threads at work at once,
// not one per repository handle or per request, and never more than its cap: a hundred servers
// must not hold thousands of PostgreSQL's connections (docs/storage.md).
#ifndef SPOKE_POSTGRES_CONNECTION_POOL_H_
#define SPOKE_POSTGRES_CONNECTION_POOL_H_

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
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
    Lease(Lease&& other) noexcept
        : pool_(std::exchange(other.pool_, nullptr)), connection_(std::move(other.connection_)) {}
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

  // A pool of connections to `url` (Connection::Open's) holding at most `max_open` open at once
  // (0: no cap), taking up to `wait` for one to be given back when all are in use. Opens none
  // until the first Take().
  explicit ConnectionPool(std::string url, int max_open = 0,
                          std::chrono::milliseconds wait = std::chrono::seconds(30))
      : url_(std::move(url)), max_open_(max_open), wait_(wait) {}
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // An idle connection, or a new one while fewer than the cap are open, else the first one given
  // back. A thread that holds a lease already gets a new one past the cap rather than wait: it
  // may be the one every other is waiting for (a read inside a transaction), so the cap is
  // exceeded only by such nesting. Connection::Open's error when it cannot be opened; Unavailable
  // when none came back within the wait. Thread-safe. REQUIRES: a lease ends on the thread that
  // took it, and before the pool does.
  Result<Lease> Take();

  // Connections open now, leased or idle. Thread-safe.
  int open() const;

  // Discards the lease's connection when `status`, a statement's failure on it, is Unavailable
  // (the connection died or the server is going away); any other failure leaves it usable.
  static void DiscardIfLost(Lease& lease, const Status& status);

 private:
  // Ends a lease: keeps `connection` for the next taker, or counts it closed when it is null
  // (discarded) or inside a transaction.
  void GiveBack(std::unique_ptr<Connection> connection);

  const std::string url_;
  const int max_open_;
  const std::chrono::milliseconds wait_;
  mutable std::mutex mutex_;
  std::condition_variable given_back_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;  // idle_ and leased
};

}  // namespace spoke::postgres

#endif  // SPOKE_POSTGRES_CONNECTION_POOL_H_
