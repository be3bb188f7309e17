#!/usr/bin/env python3
"""Checks every relative link in the repository's Markdown files: the file it names exists, and a #anchor names
a heading of that file. Links to other sites (http:, https:, mailto:) are not checked. Exit code 1 on any broken link."""
import os
import re
import subprocess
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
files = subprocess.run(["git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard", "*.md"],
                       capture_output=True, text=True, check=True).stdout.split()
link = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def prose(path):
    """The file's lines outside fenced code blocks."""
    fenced = False
    for line in open(path, encoding="utf-8"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            continue
        if not fenced:
            yield line


def anchors(path):
    """GitHub's anchors for the file's headings: lower case, punctuation dropped, spaces to hyphens, repeats numbered."""
    found, seen = set(), {}
    for line in prose(path):
        heading = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if heading:
            slug = re.sub(r"[^\w\- ]", "", heading.group(1).replace("`", "").lower()).replace(" ", "-")
            n = seen.get(slug, 0)
            seen[slug] = n + 1
            found.add(slug if n == 0 else f"{slug}-{n}")
    return found


checked, broken = 0, 0
for name in files:
    path = os.path.join(root, name)
    for target in link.findall("".join(prose(path))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):
            continue
        checked += 1
        file_part, _, anchor = target.partition("#")
        dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part else path
        if not os.path.exists(dest):
            print(f"{name}: {target}: no such file")
            broken += 1
        elif anchor and dest.endswith(".md") and anchor not in anchors(dest):
            print(f"{name}: {target}: no such heading")
            broken += 1

print(f"links: {checked} relative links in {len(files)} Markdown files, {broken} broken")
sys.exit(1 if broken else 0)
