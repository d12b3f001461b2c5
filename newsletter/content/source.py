"""Reading an issue file: bytes -> text, with the clear errors editors need
(not UTF-8, binary, empty), splitting off the YAML front matter, and dropping
``<!-- comments -->`` before the Markdown is parsed."""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from newsletter.errors import ContentError, Problem


@dataclass(frozen=True)
class Source:
    """An issue file's text, split at its front matter."""

    path: str
    text: str
    #: Front matter text (between the --- lines), and the line the body starts on (1-based).
    front_matter: str
    body: str
    body_line: int


#: Issue files above this size are refused before they are read: real issues are tens of KB,
#: Gmail clips anything over 102 KB of HTML, and Markdown parsing slows to minutes past a few MB.
MAX_ISSUE_BYTES = 1024 * 1024


def read_source(path: Path) -> Source:
    return parse_source(str(path), read_issue_bytes(path))


def read_issue_bytes(path: Path) -> bytes:
    """The bytes of the issue file ``path``, or ContentError naming it.

    The file's type and size are checked on the open file before anything is read, and no
    more than the limit and one byte is ever read: a named pipe would block forever, a link
    to /dev/zero never ends, and a sparse 800 MB file would be read whole just to be refused."""
    file = str(path)
    try:
        # O_NONBLOCK: opening a named pipe with no writer must not wait for one.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        if path.is_symlink():
            raise ContentError(Problem(file, 0, f"is a link to {os.readlink(path)}, which doesn't exist",
                                       "point the link at the issue's file, or delete it")) from None
        raise ContentError(Problem(file, 0, "file not found")) from None
    except IsADirectoryError:
        raise ContentError(Problem(file, 0, "is a folder, not an issue file")) from None
    except OSError as e:
        raise ContentError(Problem(file, 0, f"cannot read file: {e.strerror}")) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise ContentError(Problem(file, 0, "is a folder, not an issue file"))
        if not stat.S_ISREG(st.st_mode):
            raise ContentError(Problem(file, 0, f"is {_kind(st.st_mode)}, not an issue file",
                                       "name the Markdown file itself"))
        if st.st_size > MAX_ISSUE_BYTES:
            raise _too_big(file, st.st_size)
        with os.fdopen(os.dup(fd), "rb") as f:
            raw = f.read(MAX_ISSUE_BYTES + 1)  # the file may have grown since fstat()
        if len(raw) > MAX_ISSUE_BYTES:
            raise _too_big(file, len(raw))
        return raw
    except OSError as e:
        raise ContentError(Problem(file, 0, f"cannot read file: {e.strerror}")) from None
    finally:
        os.close(fd)


def _too_big(file: str, size: int) -> ContentError:
    return ContentError(Problem(file, 0, f"file is {size / 1024 / 1024:.1f} MB; an issue file may be at most "
                                         f"{MAX_ISSUE_BYTES // 1024 // 1024} MB",
                                "split it into several issues: Gmail clips an email over 102 KB anyway"))


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


#: Characters XML (so MJML) can't carry and no editor means to type: C0 controls but tab and
#: newline, and the UTF-16 surrogates that YAML escapes such as "\ud83d" produce one at a time.
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def control_problem(file: str, line: int, char: str) -> Problem:
    if 0xD800 <= ord(char) <= 0xDFFF:
        return Problem(file, line, f"contains U+{ord(char):04X}, half of a UTF-16 surrogate pair (from an escape like \\u{ord(char):04x})",
                       "write the character itself, or one escape for it such as \\U0001F600")
    return Problem(file, line, f"contains the invisible control character U+{ord(char):04X}",
                   "delete it: it often comes with text pasted from a PDF or a terminal")


_LINE_BOM = re.compile("^\ufeff+", re.M)


def parse_source(file: str, raw: bytes) -> Source:
    if not raw.strip():
        raise ContentError(Problem(file, 1, "file is empty", "start it with front matter: ---, subject:, date:, ---"))
    if b"\x00" in raw[:8192]:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise ContentError(Problem(file, line, "file is binary, not a Markdown text file"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise ContentError(
            Problem(file, line, f"file is not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start})",
                    "save it as UTF-8 in your editor")
        ) from None
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if "\ufeff" in text:  # a byte-order mark inside: two files pasted together
        text = _LINE_BOM.sub("", text)  # at a line's start it would hide '# ' or '---'
    control = CONTROL_CHARS.search(text)
    if control:
        raise ContentError(control_problem(file, text[: control.start()].count("\n") + 1, control.group(0)))
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise ContentError(
            Problem(file, 1, "missing front matter", "the file must start with a '---' line, then subject: and date:, then '---'")
        )
    i = front_matter_end(lines)
    if i:
        return Source(file, text, "\n".join(lines[1:i]), "\n".join(lines[i + 1 :]), i + 2)
    raise ContentError(Problem(file, 1, "front matter is not closed", "add a '---' line after the last front-matter key"))


def front_matter_end(lines: list[str]) -> int:
    """The index of the line closing the front matter that ``lines[0]`` opens (0 when none
    does): '---' or '...' at a line's start (indented, it is in a value such as 'intro: |')."""
    for i in range(1, len(lines)):
        if lines[i].rstrip() in ("---", "..."):
            return i
    return 0


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_NEXT = re.compile(r"<!--|`+")


def strip_comments(text: str) -> tuple[str, int]:
    """Drop HTML comments ``<!-- ... -->`` (block-level and inline) from Markdown.

    Each comment is replaced by the newlines it contained, so every other line keeps its
    number and error messages still point at the right line. Comments inside fenced code
    blocks and inline code spans are text, as in CommonMark. Returns the text and the
    1-based line (within ``text``) of a ``<!--`` that is never closed, or 0.
    """
    if "<!--" not in text:  # nothing to drop (every line would be kept as it is)
        return text, 0
    lines = text.split("\n")
    out: list[str] = []
    fence = ""
    in_comment = 0  # line where the open comment started (1-based), 0 when none
    for number, line in enumerate(lines, start=1):
        if not in_comment:
            match = _FENCE.match(line)
            if fence:
                if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence) \
                        and not line.strip().lstrip(fence[0]):
                    fence = ""
                out.append(line)
                continue
            if match and not (match.group(1)[0] == "`" and "`" in line.strip()[len(match.group(1)):]):
                fence = match.group(1)
                out.append(line)
                continue
        kept, in_comment = _strip_line(line, in_comment, number)
        out.append(kept)
    return "\n".join(out), in_comment


def _strip_line(line: str, in_comment: int, number: int) -> tuple[str, int]:
    """One line with its comment parts removed; carries an open comment to the next line."""
    kept: list[str] = []
    pos = 0
    while pos < len(line):
        if in_comment:
            end = line.find("-->", pos)
            if end < 0:
                return "".join(kept).rstrip(" ") if kept else "", in_comment
            pos = end + 3
            in_comment = 0
            # "a <!-- x --> b" reads "a b"; a comment ending the line leaves no trailing spaces
            # (two would make a hard line break).
            if kept and kept[-1].endswith(" ") and line[pos:pos + 1] in (" ", ""):
                kept[-1] = kept[-1].rstrip(" ")
            continue
        match = _NEXT.search(line, pos)
        if match is None:
            kept.append(line[pos:])
            break
        kept.append(line[pos:match.start()])
        if match.group(0) == "<!--":
            in_comment = number
            pos = match.end()
            continue
        # A backtick code span is copied whole: a comment inside one is text.
        run = match.group(0)
        close = re.compile(r"(?<!`)" + run + r"(?!`)").search(line, match.end())
        end = close.end() if close else match.end()
        kept.append(line[match.start():end])
        pos = end
    return "".join(kept), in_comment
