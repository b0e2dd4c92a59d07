#!/usr/bin/env python3
"""Runs Spoke's check cases and compares the findings with each case's `expected`, and with buf's.

A case is a directory under cases/breaking/ (before/ and after/ trees) or cases/lint/ (a files/
tree) with a buf.yaml, usually a spoke.yaml, optional spoke_args / buf_args (one line of extra
flags) and `expected`: the findings, one per line, as "RULE path:line:column" (sorted, LC_ALL=C).
README.md here describes the layout and how a case is written.

  compare.py --spoke BUILD/spoke                 spoke against every case's expected
  compare.py --buf PATH/TO/buf                   buf against every case's expected
  compare.py --spoke ... --buf ... CASE...       both, on the cases named (e.g. lint/field_not_required)
  compare.py --spoke ... --print CASE            print what spoke finds on a case, in expected's form

Exit status: 0 every case agrees, 1 a case disagrees (the difference is printed), 2 usage error,
77 --buf names no executable and --skip-missing is given (ctest reads 77 as skipped).
"""

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "cases")
KINDS = ("breaking", "lint")
# Where a finding has no place in the new version (a deleted file): buf gives no path and 1:1,
# spoke the old path and 0:0. Both are written as "RULE -".
NOWHERE = "-"


def list_cases(names):
    """(kind, name, dir) of the cases named, or of every case."""
    found = []
    for kind in KINDS:
        root = os.path.join(CASES, kind)
        if not os.path.isdir(root):
            continue
        for name in sorted(os.listdir(root)):
            path = os.path.join(root, name)
            if os.path.isdir(path):
                found.append((kind, name, path))
    if not names:
        return found
    wanted = []
    for name in names:
        name = name.strip("/")
        match = [c for c in found if f"{c[0]}/{c[1]}" == name or c[1] == name]
        if not match:
            sys.exit(f"compare.py: no case {name} under {CASES}")
        wanted.extend(match)
    return wanted


def copy_tree(src, dest, config):
    """The case's schema tree at dest, with `config` (a file path) copied into its root."""
    shutil.copytree(src, dest)
    if config:
        shutil.copy(config, os.path.join(dest, os.path.basename(config)))


def extra_args(case_dir, tool):
    path = os.path.join(case_dir, f"{tool}_args")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return shlex.split(f.read())


def rooted_paths(args, root):
    """buf reads --path and --exclude-path relative to its working directory: make a case's
    (relative to the module root) point into the tree buf reads."""
    out = []
    for i, arg in enumerate(args):
        flag, eq, value = arg.partition("=")
        if eq and flag in ("--path", "--exclude-path"):
            arg = f"{flag}={os.path.join(root, value)}"
        elif i > 0 and args[i - 1] in ("--path", "--exclude-path"):
            arg = os.path.join(root, arg)
        out.append(arg)
    return out


def run(argv, ok_codes):
    result = subprocess.run(argv, capture_output=True, text=True, check=False)
    if result.returncode not in ok_codes:
        raise RuntimeError(
            f"{shlex.join(argv)} exited {result.returncode}\n{result.stdout}{result.stderr}"
        )
    return result.stdout


def line_of(rule, path, line, column):
    if not path or line <= 0:
        return f"{rule} {NOWHERE}"
    return f"{rule} {path}:{line}:{column}"


def spoke_findings(spoke, kind, case_dir, scratch):
    """Spoke's findings on the case, as expected's lines."""
    config = os.path.join(case_dir, "spoke.yaml")
    if not os.path.exists(config):
        config = os.path.join(case_dir, "buf.yaml")  # the case tests spoke reading buf.yaml
    if kind == "breaking":
        after = os.path.join(scratch, "spoke-after")
        before = os.path.join(scratch, "spoke-before")
        copy_tree(os.path.join(case_dir, "after"), after, config)
        copy_tree(os.path.join(case_dir, "before"), before, None)
        argv = [spoke, "breaking", "--dir", after, "--against-dir", before, "--json"]
    else:
        root = os.path.join(scratch, "spoke-files")
        copy_tree(os.path.join(case_dir, "files"), root, config)
        argv = [spoke, "lint", "--dir", root, "--json"]
    out = run(argv + extra_args(case_dir, "spoke"), (0, 1))
    try:
        report = json.loads(out)
    except json.JSONDecodeError as e:
        raise RuntimeError(f"{shlex.join(argv)} printed no JSON ({e}):\n{out}") from e
    lines = []
    for finding in report.get("findings", []):
        # A deletion is located in the earlier version; "in_new" is where buf points (the element
        # that lost it, in the new version).
        where = finding.get("in_new") or finding
        if finding.get("in_previous") and not finding.get("in_new"):
            where = {}
        lines.append(
            line_of(
                finding["rule"], where.get("file", ""), where.get("line", 0), where.get("column", 0)
            )
        )
    return sorted(lines)


def buf_findings(buf, kind, case_dir, scratch):
    """buf's findings on the case, as expected's lines (paths relative to the module root)."""
    config = os.path.join(case_dir, "buf.yaml")
    if kind == "breaking":
        after = os.path.join(scratch, "buf-after")
        before = os.path.join(scratch, "buf-before")
        copy_tree(os.path.join(case_dir, "after"), after, config)
        copy_tree(os.path.join(case_dir, "before"), before, config)
        root = after
        argv = [buf, "breaking", after, "--against", before, "--error-format", "json"]
    else:
        root = os.path.join(scratch, "buf-files")
        copy_tree(os.path.join(case_dir, "files"), root, config)
        argv = [buf, "lint", root, "--error-format", "json"]
    env_cache = os.path.join(scratch, "buf-cache")
    os.environ["BUF_CACHE_DIR"] = env_cache
    out = run(argv + rooted_paths(extra_args(case_dir, "buf"), root), (0, 100))
    lines = []
    for text in out.splitlines():
        if not text.strip():
            continue
        finding = json.loads(text)
        path = finding.get("path", "")
        if path:
            path = os.path.relpath(os.path.join(os.getcwd(), path), root)
        lines.append(
            line_of(
                finding["type"], path, finding.get("start_line", 0), finding.get("start_column", 0)
            )
        )
    return sorted(lines)


def read_expected(case_dir):
    path = os.path.join(case_dir, "expected")
    if not os.path.exists(path):
        raise RuntimeError(f"{path} is missing (an empty file when nothing must be found)")
    with open(path, encoding="utf-8") as f:
        return sorted(line.strip() for line in f if line.strip())


def check_layout(kind, case_dir):
    needed = ["buf.yaml"] + (["before", "after"] if kind == "breaking" else ["files"])
    missing = [n for n in needed if not os.path.exists(os.path.join(case_dir, n))]
    if missing:
        raise RuntimeError(f"{case_dir} lacks {', '.join(missing)} (see README.md)")


def compare(label, got, expected):
    """Empty when equal, else the difference as text."""
    if got == expected:
        return ""
    missing = [x for x in expected if x not in got or expected.count(x) > got.count(x)]
    extra = [x for x in got if x not in expected or got.count(x) > expected.count(x)]
    text = f"  {label} differs from expected:\n"
    for x in sorted(set(missing)):
        text += f"    - {x}   (expected, not found)\n"
    for x in sorted(set(extra)):
        text += f"    + {x}   (found, not expected)\n"
    return text


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--spoke", help="the spoke executable: compare its findings")
    parser.add_argument("--buf", help="the buf executable: compare its findings")
    parser.add_argument(
        "--skip-missing", action="store_true", help="exit 77 when --buf names no executable"
    )
    parser.add_argument("--print", action="store_true", help="print the findings, compare nothing")
    parser.add_argument("cases", nargs="*", help="kind/name or name; default: every case")
    args = parser.parse_args()
    if not args.spoke and not args.buf:
        parser.error("give --spoke, --buf or both")
    for tool in (args.spoke, args.buf):
        if tool and not (os.path.isfile(tool) and os.access(tool, os.X_OK)):
            if tool == args.buf and args.skip_missing:
                print(
                    f"compare.py: no buf at {tool}: skipped "
                    "(npm ci --prefix tests/buf_compare, or scripts/dev test, installs it)"
                )
                return 77
            parser.error(f"{tool} is not an executable")

    cases = list_cases(args.cases)
    if not cases:
        print(f"compare.py: no case under {CASES}")
        return 1
    failed = 0
    for kind, name, case_dir in cases:
        report = ""
        with tempfile.TemporaryDirectory(prefix="spoke-case.") as scratch:
            try:
                check_layout(kind, case_dir)
                for tool, findings in (("spoke", spoke_findings), ("buf", buf_findings)):
                    executable = getattr(args, tool)
                    if not executable:
                        continue
                    tool_scratch = os.path.join(scratch, tool)
                    os.mkdir(tool_scratch)
                    got = findings(executable, kind, case_dir, tool_scratch)
                    if args.print:
                        report += f"  {tool}:\n" + "".join(f"    {x}\n" for x in got)
                    else:
                        report += compare(tool, got, read_expected(case_dir))
            except (RuntimeError, OSError, json.JSONDecodeError, KeyError) as e:
                report += f"  error: {e}\n"
        if args.print:
            print(f"{kind}/{name}\n{report}", end="")
        elif report:
            failed += 1
            print(f"FAIL {kind}/{name}\n{report}", end="")
        else:
            print(f"ok   {kind}/{name}")
    tools = " and ".join(t for t in ("spoke", "buf") if getattr(args, t))
    if not args.print:
        print(f"{len(cases) - failed} of {len(cases)} cases agree with expected ({tools})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
