// git's fsck rules for trees, commits and tags, and Spoke's rule for trees (object_checks.h).
//
// Written from the behaviour git documents and its fsck.c applies (message ids as in git's
// `fsck.<msg-id>` configuration), at the level `git fsck --strict` treats as an error.
#include "store/object_checks.h"

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "store/git_handles.h"

namespace spoke {
namespace {

Status Refuse(git_object_t type, const git_oid& id, const char* rule, const std::string& what) {
  return Status::Corruption(std::string(git_object_type2string(type)) + " " + OidHex(id) + ": " +
                            rule + ": " + what);
}

// Where `s` has the printable form of a name in a message.
std::string Quoted(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s.substr(0, 200)) {
    if (c < 0x20 || c == '"' || c == '\\' || c >= 0x7f) {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + (s.size() > 200 ? "...\"" : "\"");
}

// --- Names git treats as its own ------------------------------------------------------------

// The next code point of `s` at `*pos`, skipping those HFS+ ignores when it compares names; 0 at
// the end of `s` or at malformed UTF-8 (which git then treats as the end, too).
uint32_t NextHfsChar(std::string_view s, size_t* pos) {
  while (*pos < s.size()) {
    auto c = static_cast<unsigned char>(s[*pos]);
    uint32_t cp;
    size_t len;
    if (c < 0x80) {
      cp = c, len = 1;
    } else if ((c & 0xe0) == 0xc0) {
      cp = c & 0x1f, len = 2;
    } else if ((c & 0xf0) == 0xe0) {
      cp = c & 0x0f, len = 3;
    } else if ((c & 0xf8) == 0xf0) {
      cp = c & 0x07, len = 4;
    } else {
      return 0;
    }
    if (*pos + len > s.size()) return 0;
    for (size_t i = 1; i < len; ++i) {
      auto cc = static_cast<unsigned char>(s[*pos + i]);
      if ((cc & 0xc0) != 0x80) return 0;
      cp = (cp << 6) | (cc & 0x3f);
    }
    *pos += len;
    switch (cp) {
      case 0x200c:
      case 0x200d:
      case 0x200e:
      case 0x200f:
      case 0x202a:
      case 0x202b:
      case 0x202c:
      case 0x202d:
      case 0x202e:
      case 0x206a:
      case 0x206b:
      case 0x206c:
      case 0x206d:
      case 0x206e:
      case 0x206f:
      case 0xfeff:
        continue;
      default:
        return cp;
    }
  }
  return 0;
}

// Whether HFS+ sees `name` as "." + `needle` (lower-case ASCII).
bool IsHfsDot(std::string_view name, std::string_view needle) {
  size_t pos = 0;
  if (NextHfsChar(name, &pos) != '.') return false;
  for (char want : needle) {
    uint32_t c = NextHfsChar(name, &pos);
    if (c > 127 || std::tolower(static_cast<int>(c)) != want) return false;
  }
  uint32_t c = NextHfsChar(name, &pos);
  return c == 0 || c == '/';
}

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// Whether the rest of an NTFS name from `i` is only what NTFS drops: trailing dots and spaces,
// up to the end of the segment or an alternate data stream (':').
bool OnlyNtfsTrailer(std::string_view name, size_t i) {
  for (; i < name.size(); ++i) {
    char c = name[i];
    if (c == '\\' || c == '/' || c == ':') return true;
    if (c != ' ' && c != '.') return false;
  }
  return true;
}

bool CaseEqualPrefix(std::string_view name, size_t at, std::string_view needle) {
  if (name.size() < at + needle.size()) return false;
  for (size_t i = 0; i < needle.size(); ++i) {
    if (Lower(name[at + i]) != needle[i]) return false;
  }
  return true;
}

// One backslash-separated segment: ".git" or "git~1", then only what NTFS drops.
bool IsNtfsDotGitSegment(std::string_view name) {
  if (CaseEqualPrefix(name, 0, ".git")) return OnlyNtfsTrailer(name, 4);
  if (CaseEqualPrefix(name, 0, "git~1")) return OnlyNtfsTrailer(name, 5);
  return false;
}

// NTFS's view of "." + `needle` for a longer needle: the name itself, its 8.3 short name (the
// first six letters, '~' and 1-4), or a fall-back short name (`short_prefix` then '~' digits).
bool IsNtfsDot(std::string_view name, std::string_view needle, std::string_view short_prefix) {
  if (!name.empty() && name[0] == '.' && CaseEqualPrefix(name, 1, needle)) {
    return OnlyNtfsTrailer(name, 1 + needle.size());
  }
  if (CaseEqualPrefix(name, 0, needle.substr(0, 6)) && name.size() > 7 && name[6] == '~' &&
      name[7] >= '1' && name[7] <= '4') {
    return OnlyNtfsTrailer(name, 8);
  }
  bool saw_tilde = false;
  size_t i = 0;
  for (; i < 8; ++i) {
    if (i >= name.size()) return false;
    char c = name[i];
    if (saw_tilde) {
      if (c < '0' || c > '9') return false;
    } else if (c == '~') {
      ++i;
      if (i >= name.size() || name[i] < '1' || name[i] > '9') return false;
      saw_tilde = true;
    } else if (i >= 6 || static_cast<unsigned char>(c) > 127 || Lower(c) != short_prefix[i]) {
      return false;
    }
  }
  return OnlyNtfsTrailer(name, i);
}

// Every backslash-separated segment of `name`, as NTFS would split it.
template <typename Test>
bool AnyNtfsSegment(std::string_view name, Test test) {
  size_t start = 0;
  while (true) {
    if (test(name.substr(start))) return true;
    size_t backslash = name.find('\\', start);
    if (backslash == std::string_view::npos) return false;
    start = backslash + 1;
  }
}

bool IsDotGitmodulesName(std::string_view name) {
  return IsHfsDot(name, "gitmodules") || AnyNtfsSegment(name, [](std::string_view s) {
           return IsNtfsDot(s, "gitmodules", "gi7eba");
         });
}

bool IsDotGitattributesName(std::string_view name) {
  return IsHfsDot(name, "gitattributes") || AnyNtfsSegment(name, [](std::string_view s) {
           return IsNtfsDot(s, "gitattributes", "gi7d29");
         });
}

// --- Trees ---------------------------------------------------------------------------------------

Status CheckTree(const git_oid& id, std::string_view data, std::vector<ObjectLink>* links) {
  auto refuse = [&](const char* rule, const std::string& what) {
    return Refuse(GIT_OBJECT_TREE, id, rule, what);
  };
  // git reports every rule a tree breaks; the first one found, in git's order of reports, is
  // enough to refuse it. Each slot keeps the first entry that broke its rule.
  enum Rule {
    kNullSha1,
    kFullPathname,
    kEmptyName,
    kHasDot,
    kHasDotdot,
    kHasDotgit,
    kZeroPadded,
    kBadFilemode,
    kDuplicateEntries,
    kTreeNotSorted,
    kSymlink,
    kGitlink,
    kDotGitFile,
    kRuleCount
  };
  static const char* const kRuleIds[kRuleCount] = {
      "nullSha1",     "fullPathname",       "emptyName",      "hasDot",           "hasDotdot",
      "hasDotgit",    "zeroPaddedFilemode", "badFilemode",    "duplicateEntries", "treeNotSorted",
      "spokeSymlink", "spokeGitlink",       "spokeDotGitFile"};
  static const char* const kRuleWhat[kRuleCount] = {
      "contains entries pointing to null sha1",
      "contains full pathnames",
      "contains empty pathname",
      "contains '.'",
      "contains '..'",
      "contains '.git'",
      "contains zero-padded file modes",
      "contains bad file modes",
      "contains duplicate file entries",
      "not properly sorted",
      "holds a symbolic link, which no Spoke tree may",
      "holds a submodule link, which no Spoke tree may",
      "holds a git configuration file (.gitmodules, .gitattributes), which no Spoke tree may"};
  std::string broken[kRuleCount];
  bool seen[kRuleCount] = {};
  auto mark = [&](Rule rule, std::string_view name) {
    if (seen[rule]) return;
    seen[rule] = true;
    broken[rule] = Quoted(name);
  };

  std::unordered_set<std::string_view> names;
  std::string previous_key;
  bool first = true;
  static const char kNullId[GIT_OID_RAWSZ] = {};
  size_t pos = 0;
  while (pos < data.size()) {
    size_t space = data.find(' ', pos);
    size_t nul = space == std::string_view::npos ? space : data.find('\0', space);
    if (nul == std::string_view::npos || nul + 1 + GIT_OID_RAWSZ > data.size()) {
      return refuse("badTree",
                    "cannot be parsed as a tree (entry at byte " + std::to_string(pos) + ")");
    }
    std::string_view mode_text = data.substr(pos, space - pos);
    std::string_view name = data.substr(space + 1, nul - space - 1);
    if (mode_text.empty() || mode_text.size() > 12 ||
        mode_text.find_first_not_of("01234567") != std::string_view::npos) {
      return refuse("badTree", "cannot be parsed as a tree (mode " + Quoted(mode_text) + ")");
    }
    unsigned mode = 0;
    for (char c : mode_text) mode = (mode << 3) | static_cast<unsigned>(c - '0');
    git_oid entry_id;
    std::memcpy(entry_id.id, data.data() + nul + 1, GIT_OID_RAWSZ);
    pos = nul + 1 + GIT_OID_RAWSZ;

    if (std::memcmp(entry_id.id, kNullId, GIT_OID_RAWSZ) == 0) mark(kNullSha1, name);
    if (name.find('/') != std::string_view::npos) mark(kFullPathname, name);
    if (name.empty()) mark(kEmptyName, name);
    if (name == ".") mark(kHasDot, name);
    if (name == "..") mark(kHasDotdot, name);
    if (IsDotGitName(name)) mark(kHasDotgit, name);
    if (mode_text[0] == '0') mark(kZeroPadded, name);
    bool is_dir = mode == 040000;
    switch (mode) {
      case 0100644:
      case 0100755:
        if (links) links->push_back({id, entry_id, GIT_OBJECT_BLOB});
        break;
      case 040000:
        if (links) links->push_back({id, entry_id, GIT_OBJECT_TREE});
        break;
      case 0120000:
        mark(kSymlink, name);
        break;
      case 0160000:
        mark(kGitlink, name);
        break;
      default:
        mark(kBadFilemode, name);
    }
    if (IsDotGitmodulesName(name) || IsDotGitattributesName(name)) mark(kDotGitFile, name);
    if (!names.insert(name).second) mark(kDuplicateEntries, name);
    // git's order: names compared bytewise, a directory's name as if it ended in '/'.
    std::string key(name);
    if (is_dir) key.push_back('/');
    if (!first && previous_key > key) mark(kTreeNotSorted, name);
    first = false;
    previous_key = std::move(key);
  }
  for (int rule = 0; rule < kRuleCount; ++rule) {
    if (seen[rule])
      return refuse(kRuleIds[rule], std::string(kRuleWhat[rule]) + " (entry " + broken[rule] + ")");
  }
  return Status::Ok();
}

// --- Commits and tags ----------------------------------------------------------------------------

// git's verify_headers: no NUL before the blank line that ends the header, and a header that is
// not followed by a blank line (no body) still ends with a newline.
Status CheckHeaderBytes(git_object_t type, const git_oid& id, std::string_view data) {
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '\0') {
      return Refuse(type, id, "nulInHeader",
                    "unterminated header: NUL at offset " + std::to_string(i));
    }
    if (data[i] == '\n' && i + 1 < data.size() && data[i + 1] == '\n') return Status::Ok();
  }
  if (!data.empty() && data.back() == '\n') return Status::Ok();
  return Refuse(type, id, "unterminatedHeader", "unterminated header");
}

// A reader over an object's text; past its end every byte reads as NUL, as C strings do for git.
class Cursor {
 public:
  explicit Cursor(std::string_view data) : data_(data) {}
  char at(size_t offset = 0) const {
    return pos_ + offset < data_.size() ? data_[pos_ + offset] : '\0';
  }
  bool Skip(std::string_view prefix) {
    if (data_.substr(pos_, prefix.size()) != prefix) return false;
    pos_ += prefix.size();
    return true;
  }
  // Advances to the first of `stops` (or the end).
  void Until(std::string_view stops) {
    while (pos_ < data_.size() && stops.find(data_[pos_]) == std::string_view::npos &&
           data_[pos_] != '\0')
      ++pos_;
  }
  // The byte before the cursor. REQUIRES: not at the start.
  char before() const { return data_[pos_ - 1]; }
  void Advance(size_t n = 1) { pos_ = std::min(data_.size(), pos_ + n); }
  std::string_view rest() const { return data_.substr(pos_); }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

// "<40 hex>\n" at the cursor: the id, the cursor past the newline. False otherwise.
bool ReadHexLine(Cursor* c, git_oid* out) {
  std::string_view rest = c->rest();
  if (rest.size() < GIT_OID_HEXSZ + 1 || rest[GIT_OID_HEXSZ] != '\n') return false;
  if (rest.substr(0, GIT_OID_HEXSZ).find_first_not_of("0123456789abcdefABCDEF") !=
      std::string_view::npos)
    return false;
  if (git_oid_fromstrn(out, rest.data(), GIT_OID_HEXSZ) != 0) return false;
  c->Advance(GIT_OID_HEXSZ + 1);
  return true;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// git's fsck_ident on an author, committer or tagger line (the cursor past "author " etc.):
// "Name <email> <seconds> <+hhmm>\n". Leaves the cursor past the line.
Status CheckIdent(git_object_t type, const git_oid& id, Cursor* c) {
  auto refuse = [&](const char* rule, const char* what) {
    return Refuse(type, id, rule, std::string("invalid author/committer line - ") + what);
  };
  if (c->at() == '<') return refuse("missingNameBeforeEmail", "missing space before email");
  c->Until("<>\n");
  if (c->at() == '>') return refuse("badName", "bad name");
  if (c->at() != '<') return refuse("missingEmail", "missing email");
  if (c->before() != ' ') return refuse("missingSpaceBeforeEmail", "missing space before email");
  c->Advance();
  c->Until("<>\n");
  if (c->at() != '>') return refuse("badEmail", "bad email");
  c->Advance();
  if (c->at() != ' ') return refuse("missingSpaceBeforeDate", "missing space before date");
  c->Advance();
  if (c->at() == '0' && c->at(1) != ' ') return refuse("zeroPaddedDate", "zero-padded date");
  size_t digits = 0;
  while (IsDigit(c->at(digits))) ++digits;
  if (digits == 0 || c->at(digits) != ' ') return refuse("badDate", "bad date");
  // git keeps timestamps in a signed 64-bit time_t.
  if (digits > 19 || (digits == 19 && c->rest().substr(0, 19) > "9223372036854775806")) {
    return refuse("badDateOverflow", "date causes integer overflow");
  }
  c->Advance(digits + 1);
  if ((c->at() != '+' && c->at() != '-') || !IsDigit(c->at(1)) || !IsDigit(c->at(2)) ||
      !IsDigit(c->at(3)) || !IsDigit(c->at(4)) || c->at(5) != '\n') {
    return refuse("badTimezone", "bad time zone");
  }
  c->Advance(6);
  return Status::Ok();
}

Status CheckCommit(const git_oid& id, std::string_view data, std::vector<ObjectLink>* links) {
  const auto type = GIT_OBJECT_COMMIT;
  SPOKE_RETURN_IF_ERROR(CheckHeaderBytes(type, id, data));
  Cursor c(data);
  git_oid link;
  if (!c.Skip("tree "))
    return Refuse(type, id, "missingTree", "invalid format - expected 'tree' line");
  if (!ReadHexLine(&c, &link))
    return Refuse(type, id, "badTreeSha1", "invalid 'tree' line format - bad sha1");
  if (links) links->push_back({id, link, GIT_OBJECT_TREE});
  while (c.Skip("parent ")) {
    if (!ReadHexLine(&c, &link))
      return Refuse(type, id, "badParentSha1", "invalid 'parent' line format - bad sha1");
    if (links) links->push_back({id, link, GIT_OBJECT_COMMIT});
  }
  int authors = 0;
  while (c.Skip("author ")) {
    ++authors;
    SPOKE_RETURN_IF_ERROR(CheckIdent(type, id, &c));
  }
  if (authors == 0)
    return Refuse(type, id, "missingAuthor", "invalid format - expected 'author' line");
  if (authors > 1)
    return Refuse(type, id, "multipleAuthors", "invalid format - multiple 'author' lines");
  if (!c.Skip("committer "))
    return Refuse(type, id, "missingCommitter", "invalid format - expected 'committer' line");
  SPOKE_RETURN_IF_ERROR(CheckIdent(type, id, &c));
  if (data.find('\0') != std::string_view::npos) {
    return Refuse(type, id, "nulInCommit", "NUL byte in the commit object body");
  }
  return Status::Ok();
}

Status CheckTag(const git_oid& id, std::string_view data, std::vector<ObjectLink>* links) {
  const auto type = GIT_OBJECT_TAG;
  SPOKE_RETURN_IF_ERROR(CheckHeaderBytes(type, id, data));
  Cursor c(data);
  git_oid target;
  if (!c.Skip("object "))
    return Refuse(type, id, "missingObject", "invalid format - expected 'object' line");
  if (!ReadHexLine(&c, &target))
    return Refuse(type, id, "badObjectSha1", "invalid 'object' line format - bad sha1");
  if (!c.Skip("type "))
    return Refuse(type, id, "missingTypeEntry", "invalid format - expected 'type' line");
  size_t eol = c.rest().find('\n');
  if (eol == std::string_view::npos) {
    return Refuse(type, id, "missingType", "invalid format - unexpected end after 'type' line");
  }
  std::string_view type_name = c.rest().substr(0, eol);
  git_object_t target_type = GIT_OBJECT_INVALID;
  if (type_name == "commit") target_type = GIT_OBJECT_COMMIT;
  if (type_name == "tree") target_type = GIT_OBJECT_TREE;
  if (type_name == "blob") target_type = GIT_OBJECT_BLOB;
  if (type_name == "tag") target_type = GIT_OBJECT_TAG;
  if (target_type == GIT_OBJECT_INVALID) return Refuse(type, id, "badType", "invalid 'type' value");
  c.Advance(eol + 1);
  if (!c.Skip("tag "))
    return Refuse(type, id, "missingTagEntry", "invalid format - expected 'tag' line");
  eol = c.rest().find('\n');
  if (eol == std::string_view::npos) {
    return Refuse(type, id, "missingTag", "invalid format - unexpected end after 'type' line");
  }
  c.Advance(eol + 1);
  if (c.Skip("tagger ")) SPOKE_RETURN_IF_ERROR(CheckIdent(type, id, &c));
  if (links) links->push_back({id, target, target_type});
  return Status::Ok();
}

}  // namespace

bool IsDotGitName(std::string_view name) {
  if (name.size() == 4 && CaseEqualPrefix(name, 0, ".git")) return true;
  return IsHfsDot(name, "git") || AnyNtfsSegment(name, IsNtfsDotGitSegment);
}

Status CheckObject(git_object_t type, const git_oid& id, std::string_view content,
                   std::vector<ObjectLink>* links) {
  switch (type) {
    case GIT_OBJECT_TREE:
      return CheckTree(id, content, links);
    case GIT_OBJECT_COMMIT:
      return CheckCommit(id, content, links);
    case GIT_OBJECT_TAG:
      return CheckTag(id, content, links);
    case GIT_OBJECT_BLOB:
      return Status::Ok();
    default:
      return Status::Corruption("object " + OidHex(id) + " has an unknown type");
  }
}

}  // namespace spoke
