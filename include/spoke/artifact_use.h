// When each cached artifact was last used, so `spoke gc --max-artifact-bytes` drops the least
// recently used ones first.
//
// The record is one empty file per artifact key, <store>/artifact-use/<key[0:2]>/<key>, whose mtime
// is the last use: cheap to write (a utimensat, at most once a minute per key, so a busy artifact
// costs a stat per use) and cheap to read for every artifact at once. It is not part of the object
// database (stock git ignores it); losing it only makes every artifact look unused since its ref
// was written.
#ifndef SPOKE_ARTIFACT_USE_H_
#define SPOKE_ARTIFACT_USE_H_

#include <cstdint>
#include <string>

namespace spoke {

// Records that the artifact `key` of the store at `store_path` was used now (served from the cache
// or just stored). Does nothing for a store without files (""), and when the record is less than a
// minute old. Errors are ignored: a missed record costs only an earlier eviction.
void RecordArtifactUse(const std::string& store_path, const std::string& key);

// The last recorded use of `key`, seconds since the epoch; 0 when there is none.
int64_t LastArtifactUse(const std::string& store_path, const std::string& key);

// Removes the record of `key` (its artifact was dropped).
void ForgetArtifactUse(const std::string& store_path, const std::string& key);

}  // namespace spoke

#endif  // SPOKE_ARTIFACT_USE_H_
