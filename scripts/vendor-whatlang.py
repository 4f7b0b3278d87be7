#!/usr/bin/env python3
"""Writes src/language/whatlang-profiles.txt from the whatlang crate's own
trigram profiles and alphabets (src/trigrams/profiles.rs and
src/alphabets/{latin,cyrillic}.rs of the version Cargo.lock pins), so that
scamscan can score them through lookup tables (see
src/language/trigrams.rs). Rerun it when whatlang is upgraded; the test
`language::trigrams::tests::same_answers_as_whatlang` fails until then.

Usage: python3 scripts/vendor-whatlang.py [PATH/TO/whatlang-X.Y.Z]
"""
import glob
import os
import re
import sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
lock = open(os.path.join(root, "Cargo.lock")).read()
version = re.search(r'name = "whatlang"\nversion = "([^"]+)"', lock).group(1)
if len(sys.argv) > 1:
    crate = sys.argv[1]
else:
    home = os.environ.get("CARGO_HOME", os.path.expanduser("~/.cargo"))
    found = glob.glob(os.path.join(home, "registry/src/*", f"whatlang-{version}"))
    if not found:
        sys.exit(f"vendor-whatlang: whatlang {version} is not in {home}/registry/src; run `cargo fetch` first")
    crate = found[0]
src = open(os.path.join(crate, "src/trigrams/profiles.rs"), encoding="utf-8").read()

lines = []
for script, body in re.findall(r"pub static (\w+)_LANGS: LangProfileList = &\[(.*?)\n\];", src, re.S):
    for lang, trigrams in re.findall(r"\(\s*Lang::(\w+),\s*&\[(.*?)\]\s*,?\s*\)", body, re.S):
        chars = re.findall(r"Trigram\('(.)', '(.)', '(.)'\)", trigrams)
        if len(chars) != trigrams.count("Trigram("):
            sys.exit(f"vendor-whatlang: a trigram of {lang} is not three plain characters")
        if any("\t" in c or "\n" in c for t in chars for c in t):
            sys.exit(f"vendor-whatlang: {lang} has a tab or newline in a trigram")
        lines.append(f"trigrams\t{script.title()}\t{lang.lower()}\t{''.join(''.join(t) for t in chars)}")

for script in ["latin", "cyrillic"]:
    src = open(os.path.join(crate, f"src/alphabets/{script}.rs"), encoding="utf-8").read()
    consts = {name: value for name, value in re.findall(r'const (\w+): &str =\s*"([^"]*)";', src)}
    table = re.search(r"const \w+_ALPHABETS: &\[\(Lang, &str\)\] = &\[(.*?)\];", src, re.S).group(1)
    for lang, const in re.findall(r"\(Lang::(\w+), (\w+)\)", table):
        if "\t" in consts[const] or "\\" in consts[const]:
            sys.exit(f"vendor-whatlang: the {lang} alphabet has a tab or an escape")
        lines.append(f"alphabet\t{script.title()}\t{lang.lower()}\t{consts[const]}")

out = os.path.join(root, "src/language/whatlang-profiles.txt")
with open(out, "w", encoding="utf-8", newline="\n") as f:
    f.write(f"# The trigram profiles of whatlang {version} (src/trigrams/profiles.rs),\n")
    f.write("# MIT licence, (c) Sergey Potapov: https://github.com/greyblake/whatlang-rs\n")
    f.write("# Written by scripts/vendor-whatlang.py; do not edit. One language a line:\n")
    f.write("# trigrams<TAB>script<TAB>ISO 639-3 code<TAB>its trigrams, 3 characters each, most frequent first\n")
    f.write("# alphabet<TAB>script<TAB>ISO 639-3 code<TAB>its letters\n")
    for line in lines:
        f.write(line + "\n")
print(f"{out}: {len(lines)} profiles and alphabets from whatlang {version}")
