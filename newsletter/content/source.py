"""Reading an issue file: bytes -> text, with the clear errors editors need
(not UTF-8, binary, empty), and splitting off the YAML front matter."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from newsletter.errors import ContentError, Problem


@dataclass(frozen=True)
class Source:
    path: str
    text: str
    #: Front matter text (between the --- lines), and the line the body starts on (1-based).
    front_matter: str
    body: str
    body_line: int


def read_source(path: Path) -> Source:
    file = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ContentError(Problem(file, 0, "file not found")) from None
    except IsADirectoryError:
        raise ContentError(Problem(file, 0, "is a folder, not an issue file")) from None
    except OSError as e:
        raise ContentError(Problem(file, 0, f"cannot read file: {e.strerror}")) from None
    return parse_source(file, raw)


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
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        raise ContentError(
            Problem(file, 1, "missing front matter", "the file must start with a '---' line, then subject: and date:, then '---'")
        )
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            front = "\n".join(lines[1:i])
            body = "\n".join(lines[i + 1 :])
            return Source(file, text, front, body, i + 2)
    raise ContentError(Problem(file, 1, "front matter is not closed", "add a '---' line after the last front-matter key"))
