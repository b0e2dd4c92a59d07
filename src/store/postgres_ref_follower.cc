// RefChangeFollower: LISTEN, then read the log after the last sequence number; wait; read again.
#include "store/postgres_ref_follower.h"

#include <utility>

#include "store/postgres_schema.h"

namespace spoke {
namespace {

constexpr int kPage = 1000;

}  // namespace

RefChangeFollower::RefChangeFollower(std::string url, int64_t after_seq)
    : url_(std::move(url)), last_seq_(after_seq) {}

Status RefChangeFollower::Connect() {
  connection_.reset();
  SPOKE_ASSIGN_OR_RETURN(std::unique_ptr<postgres::Connection> connection,
                         postgres::Connection::Open(url_));
  // Listening before the first read: a change committed after that read notifies this connection.
  SPOKE_RETURN_IF_ERROR(connection->Listen(kRefChangesChannel));
  connection_ = std::move(connection);
  return Status::Ok();
}

Result<std::vector<LoggedRefChange>> RefChangeFollower::ReadPage() {
  SPOKE_ASSIGN_OR_RETURN(std::vector<LoggedRefChange> page,
                         ReadRefChanges(*connection_, last_seq_, kPage));
  if (!page.empty()) last_seq_ = page.back().seq;
  return page;
}

Result<std::vector<LoggedRefChange>> RefChangeFollower::ReadOrWait(
    std::chrono::milliseconds timeout) {
  if (connection_ == nullptr) SPOKE_RETURN_IF_ERROR(Connect());
  SPOKE_ASSIGN_OR_RETURN(std::vector<LoggedRefChange> page, ReadPage());
  if (!page.empty()) return page;
  SPOKE_ASSIGN_OR_RETURN(std::optional<postgres::Notification> woken,
                         connection_->WaitForNotification(timeout));
  if (!woken.has_value()) return page;
  // Several commits may have notified: the one read below covers them all.
  for (;;) {
    auto more = connection_->WaitForNotification(std::chrono::milliseconds(0));
    if (!more.ok() || !more->has_value()) break;
  }
  return ReadPage();
}

Result<std::vector<LoggedRefChange>> RefChangeFollower::Next(std::chrono::milliseconds timeout) {
  bool was_connected = connection_ != nullptr;
  Result<std::vector<LoggedRefChange>> changes = ReadOrWait(timeout);
  if (changes.ok() || changes.status().code() != Status::Code::kUnavailable) return changes;
  connection_.reset();
  if (!was_connected) return changes;
  // The connection died while idle (the server restarted, a network blip): once more on a new
  // one, which reads what was committed meanwhile.
  return ReadOrWait(timeout);
}

}  // namespace spoke
