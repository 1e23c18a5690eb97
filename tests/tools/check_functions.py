#!/usr/bin/env python3
"""No function in the shipped C code is longer than 60 lines (docs/hacking.md, Style).

A function counts from the line after its opening brace to the line before its closing one
(the project's clang-format puts both on lines of their own). The exceptions the rule
allows, a state machine's switch or a parser, say so in the comment right above the
function: it contains "state machine" or "parser" and "long".

Usage: check_functions.py SOURCE_DIR [MAX]   (exit 1 and a list when any is longer)
"""
import os
import re
import sys

HEAD = re.compile(r"^[A-Za-z_][^;{}()]*\b([A-Za-z_]\w*)\s*\(")


def functions(path):
    """(name, first line, body lines, comment above) of each top-level function in path."""
    lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
    i = 0
    while i < len(lines):
        if lines[i] == "{" and i > 0:
            k = i - 1
            while k > 0 and not HEAD.match(lines[k]) and not lines[k].startswith(("}", "/*", " *")):
                k -= 1
            m = HEAD.match(lines[k])
            j = i + 1
            while j < len(lines) and lines[j] != "}":
                j += 1
            if m:
                c = k - 1
                comment = []
                while c >= 0 and (lines[c].startswith(("/*", " *")) or lines[c].endswith("*/")):
                    comment.append(lines[c])
                    c -= 1
                yield m.group(1), k + 1, j - i - 1, " ".join(comment)
            i = j
        i += 1


def main():
    root = sys.argv[1]
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    long = []
    for part in ("proto", "server", "client"):
        for dirpath, _, files in os.walk(os.path.join(root, part)):
            for f in sorted(files):
                if not f.endswith(".c"):
                    continue
                path = os.path.join(dirpath, f)
                for name, line, n, comment in functions(path):
                    excused = re.search(r"state machine|parser", comment) and "long" in comment
                    if n > limit and not excused:
                        long.append("%s:%d %s: %d lines" % (os.path.relpath(path, root), line, name, n))
    for l in long:
        print(l)
    if long:
        print("%d function(s) over %d lines: split them along a real seam (docs/hacking.md)" % (len(long), limit))
        return 1
    print("no function over %d lines" % limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
