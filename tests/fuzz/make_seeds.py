#!/usr/bin/env python3
"""Writes the seed corpora of tests/fuzz/corpus/<target>/seed-*: small valid (and a few nearly
valid) inputs for each fuzz target, so fuzzing starts from what Spoke really reads.

Run it again after changing a format; it only rewrites seed-* files, never the regress-* files
that keep what fuzzing found. Output is deterministic (fixed times, no randomness)."""

import hashlib
import json
import pathlib
import re
import struct
import zlib

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"


def write(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    path = CORPUS / target / ("seed-" + name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


# --- A module version as a push sends it -------------------------------------------------------

USER_PROTO = b'syntax = "proto3";\npackage user;\n\nimport "sub/extra.proto";\n\nmessage User {\n  string name = 1;\n  Extra extra = 2;\n}\n'
EXTRA_PROTO = b'syntax = "proto3";\npackage user;\n\nmessage Extra { int32 n = 1; }\n'
SIGNATURE = b"Spoke <spoke@localhost> 0 +0000"


def manifest(module, version, files, dependencies=()):
    """spoke.manifest.json as Manifest::Serialize writes it (docs/storage.md)."""
    listed = [{"path": p, "sha256": sha256(c), "size": len(c)} for p, c in sorted(files.items())]
    digest = hashlib.sha256("".join(f"{f['sha256']}  {f['path']}\n" for f in listed).encode()).hexdigest()
    doc = {
        "format": 1,
        "module": module,
        "version": version,
        "description": "first cut",
        "digest": "sha256:" + digest,
        "files": listed,
        "dependencies": list(dependencies),
    }
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode(), "sha256:" + digest


class Objects:
    """Objects in pack order. Contents are templates: "{k}" names object k (pack_fuzz.cc)."""

    TYPES = {"commit": 1, "tree": 2, "blob": 3, "tag": 4}
    REF = re.compile(rb"\{(\d{1,3})\}")

    def __init__(self):
        self.entries = []  # (type name, template)
        self.ids = []  # raw 20-byte ids
        self.real = []  # contents with the ids filled in

    def add(self, kind, template):
        raw_ids = kind == "tree"
        def fill(match):
            raw = self.ids[int(match.group(1))]
            return raw if raw_ids else raw.hex().encode()
        real = self.REF.sub(fill, template)
        self.entries.append((kind, template))
        self.ids.append(hashlib.sha1(kind.encode() + b" %d\0" % len(real) + real).digest())
        self.real.append(real)
        return len(self.entries) - 1

    def tree(self, entries):
        """entries: (mode, name, object index), written in the order given."""
        return self.add("tree", b"".join(b"%s %s\0{%d}" % (mode, name, k) for mode, name, k in entries))

    def records(self):
        """The target's record form: type byte, 2-byte length, template."""
        out = b""
        for kind, template in self.entries:
            out += bytes([self.TYPES[kind]]) + struct.pack(">H", len(template)) + template
        return out

    def pack(self):
        """The real pack: header, deflated entries, SHA-1 trailer."""
        out = b"PACK" + struct.pack(">II", 2, len(self.entries))
        for (kind, _), real in zip(self.entries, self.real):
            out += entry_header(self.TYPES[kind], len(real)) + zlib.compress(real, 1)
        return out + hashlib.sha1(out).digest()


def entry_header(type_number, size):
    first = type_number << 4 | (size & 15)
    size >>= 4
    out = b""
    while size:
        out += bytes([first | 0x80])
        first = size & 0x7F
        size >>= 7
    return out + bytes([first])


def version_push():
    """A new module `user` with its first version, v1.0.0: the objects and the push header."""
    o = Objects()
    record = o.add("blob", b'{\n  "format": 1,\n  "module": "user",\n  "description": "users"\n}\n')
    root_tree = o.tree([(b"100644", b"spoke.module.json", record)])
    root = o.add("commit", b"tree {%d}\nauthor %s\ncommitter %s\n\nuser\n" % (root_tree, SIGNATURE, SIGNATURE))
    user = o.add("blob", USER_PROTO)
    extra = o.add("blob", EXTRA_PROTO)
    sub = o.tree([(b"100644", b"extra.proto", extra)])
    text, digest = manifest("user", "v1.0.0", {"user.proto": USER_PROTO, "sub/extra.proto": EXTRA_PROTO})
    man = o.add("blob", text)
    tree = o.tree([(b"100644", b"spoke.manifest.json", man), (b"40000", b"sub", sub), (b"100644", b"user.proto", user)])
    commit = o.add("commit", b"tree {%d}\nparent {%d}\nauthor %s\ncommitter %s\n\nuser v1.0.0\n\nfirst cut\n"
                   % (tree, root, SIGNATURE, SIGNATURE))
    tag = o.add("tag", b"object {%d}\ntype commit\ntag user/v1.0.0\ntagger %s\n\nuser v1.0.0\n\nfirst cut\n\nDigest: %s\n"
                % (commit, SIGNATURE, digest.encode()))
    header = {"protocol": 1, "updates": [
        {"name": "refs/tags/user/v1.0.0", "old": "", "new": "{%d}" % tag},
        {"name": "refs/heads/user/_history", "old": "", "new": "{%d}" % commit},
    ]}
    return o, header


def header_line(header, objects=None):
    text = json.dumps(header, separators=(",", ":"))
    if objects is not None:  # raw packs: the target substitutes nothing, so write the real ids
        text = re.sub(r"\{(\d+)\}", lambda m: objects.ids[int(m.group(1))].hex(), text)
    return text.encode() + b"\n"


K_RAW, K_FIX_TRAILER, K_CLAIM_MAX_COUNT, K_APPLY = 1, 2, 4, 8


def pack_seeds():
    o, header = version_push()
    write("pack", "version-push", bytes([K_APPLY]) + header_line(header) + o.records())
    write("pack", "version-index-only", bytes([0]) + b"\n" + o.records())
    write("pack", "version-push-raw", bytes([K_RAW | K_APPLY]) + header_line(header, o) + o.pack())
    write("pack", "version-push-raw-fix-trailer",
          bytes([K_RAW | K_FIX_TRAILER | K_APPLY]) + header_line(header, o) + o.pack()[:-20])
    write("pack", "empty-pack", bytes([K_APPLY]) + b"\n")

    # Trees git fsck --strict refuses, each beside the blob it names, applied with no ref update.
    bad_trees = {
        "tree-dot-git": [(b"100644", b".git", 0)],
        "tree-dot": [(b"100644", b".", 0)],
        "tree-dot-dot": [(b"40000", b"..", 1)],
        "tree-slash": [(b"100644", b"a/b.proto", 0)],
        "tree-empty-name": [(b"100644", b"", 0)],
        "tree-duplicate": [(b"100644", b"a.proto", 0), (b"100644", b"a.proto", 0)],
        "tree-unsorted": [(b"100644", b"b.proto", 0), (b"100644", b"a.proto", 0)],
        "tree-zero-padded-mode": [(b"0100644", b"a.proto", 0)],
        "tree-bad-mode": [(b"100600", b"a.proto", 0)],
        "tree-symlink-proto": [(b"120000", b"a.proto", 0)],
        "tree-gitmodules-symlink": [(b"120000", b".gitmodules", 0)],
    }
    for name, entries in bad_trees.items():
        o = Objects()
        o.add("blob", b"message A {}\n")
        o.tree([(b"100644", b"a.proto", 0)])
        o.tree(entries)
        write("pack", name, bytes([K_APPLY]) + b"\n" + o.records())

    # Commits and tags with a bad header.
    o = Objects()
    o.add("blob", b"x")
    o.tree([(b"100644", b"a.proto", 0)])
    o.add("commit", b"tree {1}\nauthor %s\ncommitter %s\n\nno blank line before the body" % (SIGNATURE, SIGNATURE))
    o.add("commit", b"tree {1}\nparent {1}\nauthor %s\ncommitter %s\n\nparent is a tree\n" % (SIGNATURE, SIGNATURE))
    o.add("tag", b"object {2}\ntype commit\ntag x\n\nno tagger\n")
    write("pack", "commits-and-tags", bytes([K_APPLY]) + b"\n" + o.records())

    # Deltas, which go to libgit2's indexer: a blob plus one byte, by base id and by offset.
    o = Objects()
    base = o.add("blob", USER_PROTO)
    records = o.records()
    for entry_type, extra in ((7, b"\n"), (6, b" ")):
        delta = bytes([len(USER_PROTO), len(USER_PROTO) + 1, 0x90, len(USER_PROTO), 1]) + extra
        records += bytes([entry_type]) + struct.pack(">H", 3 + len(delta)) + b"{%d}" % base + delta
    write("pack", "deltas", bytes([K_APPLY]) + b"\n" + records)


# --- The text formats --------------------------------------------------------------------------

COMMIT = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"  # any 40 hex digits
COMMIT2 = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"


def wire_seeds():
    push = header_line({"protocol": 1, "updates": [
        {"name": "refs/tags/user/v1.0.0", "old": "", "new": COMMIT},
        {"name": "refs/heads/user/_history", "old": COMMIT2, "new": COMMIT}]})
    write("wire", "push-body", b"0" + push + b"PACK\0\0\0\2\0\0\0\0")
    write("wire", "fetch-request", "1" + json.dumps({"wants": [COMMIT], "haves": [COMMIT2]}))
    write("wire", "refs", "2" + json.dumps({"protocol": 1, "refs": [
        {"name": "refs/heads/user/_history", "target": COMMIT},
        {"name": "refs/tags/user/v1.0.0", "target": COMMIT2, "peeled": COMMIT}]}))
    write("wire", "ref-results", "3" + json.dumps({"refs": [
        {"name": "refs/tags/user/v1.0.0", "target": COMMIT, "status": "created"},
        {"name": "refs/heads/user/_history", "target": COMMIT2, "status": "unchanged"}]}))
    write("wire", "import-query", "4" + json.dumps({"paths": ["user/user.proto", "google/type/date.proto"]}))
    write("wire", "import-answers", "5" + json.dumps({"imports": [
        {"path": "user/user.proto", "outcome": "resolved", "module": "user", "version": "v1.0.0",
         "commit": COMMIT, "digest": "sha256:" + "0" * 64},
        {"path": "a/b.proto", "outcome": "unresolved"},
        {"path": "c/d.proto", "outcome": "ambiguous", "candidates": ["c", "c/d"]}]}))
    write("wire", "error-response", b"6\x00\x16" + json.dumps(
        {"error": "version user@v1.0.0 already exists", "code": "already_exists"}).encode())
    write("wire", "error-response-proxy", b"6\x00\x66<html>502 Bad Gateway</html>")


def json_seeds():
    write("json", "object", json.dumps({"a": [1, 2.5, -3e10, True, False, None], "b": {"c": "d"}}))
    write("json", "strings", r'["", "\"\\\/\b\f\n\r\t", "\u00e9\u4e2d\ud83d\ude00", "raw é"]')
    write("json", "numbers", "[0, -0, 9223372036854775807, -9223372036854775808, 9223372036854775808, "
                             "1.7976931348623157e308, 5e-324, 0.1, 1E2, 1e-2, 123456789012345678901234567890]")
    write("json", "nested", "[" * 30 + "{}" + "]" * 30)
    write("json", "indented", json.dumps({"k": [{"x": 1}, [], {}]}, indent=2) + "\n")
    write("json", "literals", " true ")


def manifest_seeds():
    text, digest = manifest("user", "v1.0.0", {"user.proto": USER_PROTO, "sub/extra.proto": EXTRA_PROTO},
                            [{"module": "common", "version": "v1.2.0", "commit": COMMIT, "digest": "sha256:" + "1" * 64}])
    write("manifest", "two-files", text)
    text, _ = manifest("payments/ledger", "v2.0.0-rc.1+build.5", {})
    write("manifest", "no-files", text)


def module_config_seeds():
    write("module_config", "full", """# spoke.yaml of a module directory
module: payments/ledger
version: v1.2.0
deps:
  - common@v1.2.0
  - "money@v0.3.1"
lint:
  use:
    - DEFAULT
  except:
    - PACKAGE_VERSION_SUFFIX
  ignore: legacy/  # a comment
breaking:
  level: WIRE_JSON
""")
    write("module_config", "dependencies", "module: 'order'\ndependencies:\n- common@latest\n\n")
    write("module_config", "section-tabs", "lint:\n\texcept:\n\t\t- X\n")


def buf_config_seeds():
    write("buf_config", "v2", """# buf.yaml of a workspace of one module
version: v2
modules:
  - path: .
    excludes: [vendor]
deps:
  - buf.build/googleapis/googleapis
lint:
  use:
    - STANDARD
  except: [PACKAGE_VERSION_SUFFIX]
  ignore_only:
    FIELD_LOWER_SNAKE_CASE:
      - legacy
  enum_zero_value_suffix: _NONE
  rpc_allow_same_request_response: true
breaking:
  use: [FILE]
  ignore_unstable_packages: true
\0# Generated by buf. DO NOT EDIT.
version: v2
deps:
  - name: buf.build/googleapis/googleapis
    commit: 61b203b9a9164be9a834f58c37be6f62
""")
    write("buf_config", "v1", "version: v1\nbuild:\n  excludes:\n  - vendor\nlint:\n  use: [DEFAULT]\n"
                              "  allow_comment_ignores: true\nbreaking:\n  ignore: ['legacy']\n")


def lockfile_seeds():
    write("lockfile", "pinned", json.dumps({"format": 1, "dependencies": {"common": "v1.2.0", "money/core": "v0.3.1"},
                                            "pins": {"common": {"commit": COMMIT, "digest": "sha256:" + "2" * 64},
                                                     "money/core": {"commit": COMMIT2, "digest": "sha256:" + "3" * 64}}},
                                           indent=2) + "\n")
    write("lockfile", "original-format", json.dumps({"dependencies": {"common": "v1.2.0"}}))


def imports_seeds():
    write("imports", "imports", USER_PROTO.decode() + """
import public "a/public.proto";
import weak "b/weak.proto";
import "c/\\x41\\101.proto";
// import "commented.proto";
/* import "block.proto"; */
message M {
  int32 import = 1;
  message import { }
}
option go_package = "import \\"x\\"";
""")
    write("imports", "editions", 'edition = "2023";\nimport "x.proto" ;\nimport\n"y.proto";\n')
    write("imports", "broken", 'import "unterminated.proto\nimport "ok.proto";\n}}} import "after.proto";\n')


if __name__ == "__main__":
    for old in CORPUS.glob("*/seed-*"):
        old.unlink()
    pack_seeds()
    wire_seeds()
    json_seeds()
    manifest_seeds()
    module_config_seeds()
    buf_config_seeds()
    lockfile_seeds()
    imports_seeds()
