// The PostgreSQL backend's schema, as numbered steps applied once each (schema_version records
// them). A step is never edited once released: a change is a new step, so every database walks
// the same path to the current version.
#include "store/postgres_schema.h"

#include <string>

namespace spoke {
namespace {

// Advisory lock keys (pg_advisory_xact_lock): one for migrations, one that orders ref changes.
// Arbitrary constants ("spokemig", "spokeref" as ASCII), fixed forever: every server must agree.
constexpr int64_t kMigrationLock = 0x73706f6b656d6967;
constexpr int64_t kRefChangeLock = 0x73706f6b65726566;

// Version 1: packs, refs, their change log and the job queue.
//
// Why the parts are as they are:
// - pack_chunks.data is STORAGE EXTERNAL: packs are zlib-compressed already, so TOAST's own
//   compression would spend CPU to save nothing.
// - ref_changes is written by a trigger on refs, so no writer can change a ref without logging it.
//   The trigger takes kRefChangeLock before drawing a sequence number and holds it until commit,
//   so numbers become visible in order: a watcher that reads `seq > last` never misses a lower
//   number committed after a higher one (what a bare bigserial allows). Ref writers are serialised
//   from their first ref change to their commit, which is why a writer stores its pack rows first
//   and changes refs last. ref_changes.pack_id has no foreign key: compaction may drop a pack whose
//   objects live on in another one, and the log must stay.
// - The NOTIFY has an empty payload so PostgreSQL folds a transaction's notifications into one.
// - jobs_open indexes only open jobs (queued, or running under a lease that may expire) in claim
//   order, so a claim's SELECT ... FOR UPDATE SKIP LOCKED walks that small index, not every job
//   ever done.
std::string SchemaVersion1() {
  return R"sql(
CREATE TABLE packs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name text NOT NULL UNIQUE CHECK (name ~ '^[0-9a-f]{40}$'),
  size bigint NOT NULL CHECK (size >= 0),
  index_size bigint NOT NULL CHECK (index_size >= 0),
  object_count bigint NOT NULL CHECK (object_count >= 0),
  created timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE pack_chunks (
  pack_id bigint NOT NULL REFERENCES packs (id) ON DELETE CASCADE,
  part text NOT NULL CHECK (part IN ('pack', 'idx')),
  seq integer NOT NULL CHECK (seq >= 0),
  data bytea NOT NULL CHECK (octet_length(data) BETWEEN 1 AND )sql" +
         std::to_string(kPackChunkBytes) + R"sql(),
  PRIMARY KEY (pack_id, part, seq)
);
ALTER TABLE pack_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE TABLE refs (
  name text PRIMARY KEY CHECK (name LIKE 'refs/%'),
  target text NOT NULL CHECK (target ~ '^[0-9a-f]{40}$')
);

CREATE SEQUENCE ref_change_seq AS bigint;
CREATE TABLE ref_changes (
  seq bigint PRIMARY KEY,
  name text NOT NULL,
  old_target text,
  new_target text,
  pack_id bigint,
  changed timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION log_ref_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  ref_name text;
  old_value text;
  new_value text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    ref_name := NEW.name;
    new_value := NEW.target;
  ELSIF TG_OP = 'UPDATE' THEN
    ref_name := NEW.name;
    old_value := OLD.target;
    new_value := NEW.target;
  ELSE
    ref_name := OLD.name;
    old_value := OLD.target;
  END IF;
  PERFORM pg_advisory_xact_lock()sql" +
         std::to_string(kRefChangeLock) + R"sql();
  INSERT INTO ref_changes (seq, name, old_target, new_target, pack_id)
    VALUES (nextval('ref_change_seq'), ref_name, old_value, new_value,
            NULLIF(current_setting('spoke.pack_id', true), '')::bigint);
  PERFORM pg_notify(')sql" +
         std::string(kRefChangesChannel) + R"sql(', '');
  RETURN NULL;
END
$$;
CREATE TRIGGER refs_log_change AFTER INSERT OR UPDATE OR DELETE ON refs
  FOR EACH ROW EXECUTE FUNCTION log_ref_change();

CREATE TABLE jobs (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL,
  key text NOT NULL,
  state text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done')),
  lease_owner text,
  lease_expires timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  not_before timestamptz NOT NULL DEFAULT now(),
  last_error text,
  created timestamptz NOT NULL DEFAULT now(),
  UNIQUE (kind, key)
);
CREATE INDEX jobs_open ON jobs (kind, id) WHERE state IN ('queued', 'running');
)sql";
}

// Version 2: the registry's tokens (spoke/sys/postgres_tokens.h), what spoke-tokens.json keeps
// for a store on files. `change` numbers every insert, so that (count, max(change)) changes with
// every create and every revoke: a server compares it on each lookup instead of re-reading every
// token. Scopes are their texts joined by spaces.
std::string SchemaVersion2() {
  return R"sql(
CREATE SEQUENCE token_change_seq AS bigint;
CREATE TABLE tokens (
  id text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{12}$'),
  name text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9._-]{1,64}$'),
  sha256 text NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  scopes text NOT NULL CHECK (scopes <> ''),
  created bigint NOT NULL,
  change bigint NOT NULL DEFAULT nextval('token_change_seq')
);
)sql";
}

// The steps in order: kSteps[i] brings version i to i + 1.
using Step = std::string (*)();
constexpr Step kSteps[] = {SchemaVersion1, SchemaVersion2};
static_assert(std::size(kSteps) == kPostgresSchemaVersion);

}  // namespace

Status SetRefChangesPack(postgres::Connection& connection, int64_t pack_id) {
  return connection
      .Execute("SELECT set_config('spoke.pack_id', $1, true)",
               {postgres::Param::Text(std::to_string(pack_id))})
      .status();
}

Status LockRefWriters(postgres::Connection& connection) {
  return connection
      .Execute("SELECT pg_advisory_xact_lock($1)", {postgres::Param::Int64(kRefChangeLock)})
      .status();
}

Result<SchemaMigration> MigratePostgresSchema(postgres::Connection& connection) {
  SPOKE_ASSIGN_OR_RETURN(postgres::Transaction transaction,
                         postgres::Transaction::Begin(connection));
  SPOKE_RETURN_IF_ERROR(
      connection
          .Execute("SELECT pg_advisory_xact_lock($1)", {postgres::Param::Int64(kMigrationLock)})
          .status());
  SPOKE_RETURN_IF_ERROR(connection.ExecuteScript(
      "CREATE TABLE IF NOT EXISTS schema_version ("
      " version integer PRIMARY KEY, applied timestamptz NOT NULL DEFAULT now())"));
  SPOKE_ASSIGN_OR_RETURN(
      postgres::Rows current,
      connection.Execute("SELECT coalesce(max(version), 0) FROM schema_version"));
  SPOKE_ASSIGN_OR_RETURN(int64_t version, current.Int64(0, 0));
  SchemaMigration migration{static_cast<int>(version), static_cast<int>(version)};
  if (version > kPostgresSchemaVersion) {
    return Status::FailedPrecondition("the PostgreSQL database at " + connection.description() +
                                      " has Spoke schema version " + std::to_string(version) +
                                      ", newer than this program's " +
                                      std::to_string(kPostgresSchemaVersion) + ": upgrade Spoke");
  }
  for (; migration.to_version < kPostgresSchemaVersion; ++migration.to_version) {
    int next = migration.to_version + 1;
    SPOKE_RETURN_IF_ERROR(connection.ExecuteScript(kSteps[migration.to_version]())
                              .WithContext("schema step " + std::to_string(next)));
    SPOKE_RETURN_IF_ERROR(connection
                              .Execute("INSERT INTO schema_version (version) VALUES ($1)",
                                       {postgres::Param::Int64(next)})
                              .status());
  }
  SPOKE_RETURN_IF_ERROR(transaction.Commit());
  return migration;
}

}  // namespace spoke
