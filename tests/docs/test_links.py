"""Every relative link in every Markdown file of the repository resolves: the file
(or folder) exists, and a `#fragment` names a heading of the target (GitHub's slugs)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from urllib.parse import unquote

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)|!\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~)")
# Documents that may be linked before they exist (none: every link must resolve).
PENDING: set[str] = set()


def markdown_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "*.md"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.split()
    return sorted(ROOT / p for p in out if (ROOT / p).is_file() and not p.startswith(".venv/"))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes."""
    text = re.sub(r"`|\*\*|\*|_(?=\w)|(?<=\w)_", "", heading.strip().lower())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    in_code = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line.strip()):
            in_code = not in_code
            continue
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if m and not in_code:
            s = slug(m.group(1))
            n = seen.get(s, 0)
            seen[s] = n + 1
            out.add(s if n == 0 else "%s-%d" % (s, n))
    return out


def links(path: Path):
    in_code = False
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if FENCE.match(line.strip()):
            in_code = not in_code
            continue
        if in_code:
            continue
        for m in LINK.finditer(re.sub(r"`[^`]*`", "", line)):
            yield no, m.group(1) or m.group(2)


def broken_links() -> tuple[list[str], list[str]]:
    bad, pending = [], []
    for md in markdown_files():
        for no, target in links(md):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # http:, https:, mailto:
                continue
            where = "%s:%d: %s" % (md.relative_to(ROOT), no, target)
            file_part, _, frag = target.partition("#")
            dest = md if not file_part else (md.parent / unquote(file_part)).resolve()
            rel = dest.relative_to(ROOT).as_posix() if dest.is_relative_to(ROOT) else str(dest)
            if not dest.exists():
                (pending if rel in PENDING else bad).append(where + " (no such file)")
                continue
            if frag and dest.suffix == ".md" and frag.lower() not in anchors(dest):
                bad.append(where + " (no heading #%s)" % frag)
    return bad, pending


def test_every_relative_markdown_link_resolves():
    bad, pending = broken_links()
    assert not bad, "broken links:\n" + "\n".join(bad)
    assert not pending, pending


def test_the_checker_finds_a_broken_link_and_a_broken_anchor(tmp_path):
    md = tmp_path / "a.md"
    md.write_text("# Title here\n\nsee [x](a.md#title-here), [y](b.md), [z](a.md#nope)\n```\n[in code](c.md)\n```\n")
    got = [t for _, t in links(md)]
    assert got == ["a.md#title-here", "b.md", "a.md#nope"]
    assert anchors(md) == {"title-here"}
    assert slug("The virtual board") == "the-virtual-board"
    assert slug("1. Find the board: `wandctl doctor`") == "1-find-the-board-wandctl-doctor"


def test_no_document_cites_files_the_repository_does_not_have():
    """The shared brief's SAFETY.md/PLATFORM.md are not in the repository: cite docs/safety.md and
    docs/platform.md (README, hardware docs, code comments, `wandctl --help`)."""
    out = subprocess.run(["git", "grep", "-n", "-E", r"(^|[^/a-z])(SAFETY|PLATFORM|DESIGN)\.md", "--", ".",
                          ":!tests/docs/test_links.py", ":!tests/cli/test_user_errors.py"],
                         cwd=ROOT, capture_output=True, text=True)
    assert out.stdout == "", out.stdout
