// The pool of ConnectionPool: idle connections in a vector under a mutex.
#include "postgres/connection_pool.h"

#include <utility>

namespace spoke::postgres {

ConnectionPool::Lease::~Lease() {
  if (connection_ && pool_) pool_->GiveBack(std::move(connection_));
}

Result<ConnectionPool::Lease> ConnectionPool::Take() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(connection));
    }
  }
  SPOKE_ASSIGN_OR_RETURN(std::unique_ptr<Connection> connection, Connection::Open(url_));
  return Lease(this, std::move(connection));
}

void ConnectionPool::DiscardIfLost(Lease& lease, const Status& status) {
  if (status.code() == Status::Code::kUnavailable) lease.Discard();
}

void ConnectionPool::GiveBack(std::unique_ptr<Connection> connection) {
  // A connection given back inside a transaction (a caller's bug) would hand its half-done work
  // to the next taker; it is closed instead, which rolls that work back.
  if (connection->InTransaction()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  idle_.push_back(std::move(connection));
}

}  // namespace spoke::postgres
