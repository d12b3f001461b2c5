"""The incremental build cache: out/.cache.json remembers what each issue was built from.

An issue's entry is valid only while all of these hold, so a stale cache can't be trusted:
- its key matches: a hash of the issue file's bytes, the package version and its files'
  times and sizes (a `git pull` into an editable install changes the code, not the
  version), newsletter.yaml, every file of the theme and the workspace's templates/, and
  the build options;
- every output it recorded still exists with the same SHA-256 (an output that was deleted
  or edited since is rebuilt);
- the cache file itself reads as JSON in the current format (anything else is discarded).

Entries keep the issue's report (size, words, reading time, warnings, check findings), so
a cached issue still gets its line in the build's report. Findings are stored once in a
table that entries point into: the theme's compatibility notes come out the same for every
issue, and a 1,000-issue archive would otherwise store (and parse) them 1,000 times.
Nothing here imports the rendering pipeline: deciding that nothing needs building stays cheap.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import importlib
import json
import os
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import newsletter
from newsletter.output import write_atomic
from newsletter.workspace import Workspace

CACHE_NAME = ".cache.json"
#: The outputs made from many issues (the archive index), kept apart so checking them is cheap.
SHARED_CACHE_NAME = ".cache-shared.json"
FORMAT = 3


@dataclass
class IssueSummary:
    """What the build reports about one built issue; small, picklable, JSON-able."""

    slug: str
    html_bytes: int
    words: int
    reading_minutes: int
    warnings: list[str] = field(default_factory=list)
    #: Quality-gate findings, as the checks produced them.
    findings: list[Any] = field(default_factory=list)
    #: Output file (relative to out/, e.g. "<slug>/email.html") -> SHA-256 of its bytes.
    outputs: dict[str, str] = field(default_factory=dict)
    #: The issue without its body (front matter, slug, preheader): what an index needs.
    issue: Any = None

    @classmethod
    def from_result(cls, result: Any, written: list[Path], out_dir: Path) -> IssueSummary:
        """The summary of a BuildResult whose outputs ``written`` are on disk under ``out_dir``."""
        return cls(
            slug=result.slug,
            html_bytes=result.html_bytes,
            words=result.words,
            reading_minutes=result.reading_minutes,
            warnings=list(result.warnings),
            findings=list(result.findings),
            outputs={output_name(p, out_dir): file_digest(p) for p in written},
            issue=issue_header(result.issue),
        )


def output_name(path: Path, out_dir: Path) -> str:
    """How the cache names an output: relative to out/ when inside it."""
    if ".." not in path.parts:
        try:  # the common case (out_for(slug) / name): no need to ask the file system
            return path.relative_to(out_dir).as_posix()
        except ValueError:
            pass
    try:
        return path.resolve().relative_to(out_dir.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def issue_header(issue: Any) -> Any:
    """A copy of the issue without its body: small enough to keep for every issue."""
    if not dataclasses.is_dataclass(issue) or isinstance(issue, type):
        return None
    drop = {"intro": (), "items": (), "source": ""}
    names = {f.name for f in dataclasses.fields(issue)}
    return dataclasses.replace(issue, **{k: v for k, v in drop.items() if k in names})


def file_digest(path: str | Path) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def _tree_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def code_stamp(folder: Path) -> str:
    """Every file under ``folder`` (the package: its code and data) by name, modification time
    and size, hashed: what a new version changes. About 1 ms; the files are not read."""
    h = hashlib.sha256()
    for parent, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            path = os.path.join(parent, name)
            try:
                st = os.stat(path)
            except OSError:
                continue
            h.update(f"{os.path.relpath(path, folder)}\0{st.st_mtime_ns}\0{st.st_size}\0".encode())
    return h.hexdigest()


def workspace_fingerprint(ws: Workspace, template_dirs: list[Path], options: dict[str, Any]) -> str:
    """A hash of everything besides the issue file that decides an issue's output."""
    h = hashlib.sha256()
    h.update(f"format {FORMAT}\0version {newsletter.__version__}\0".encode())
    h.update(code_stamp(Path(newsletter.__file__).parent).encode())
    h.update(json.dumps(options, sort_keys=True).encode())
    h.update(b"\0settings\0")
    try:
        h.update(ws.config_path.read_bytes())
    except OSError:
        h.update(b"<missing>")
    for i, folder in enumerate(template_dirs):
        for path in _tree_files(folder):
            h.update(f"\0{i}:{path.relative_to(folder).as_posix()}\0".encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def issue_key(fingerprint: str, source: bytes) -> str:
    return hashlib.sha256(fingerprint.encode() + b"\0" + source).hexdigest()


class BuildCache:
    """The cache file of one workspace: load, check an entry, record, forget, save."""

    def __init__(self, ws: Workspace, file_name: str = CACHE_NAME) -> None:
        self.ws = ws
        self.path = ws.out_dir / file_name
        self._root = ws.root.resolve()
        self.entries: dict[str, dict[str, Any]] = {}
        #: Outputs made from many issues (the archive index): name -> {"key", "outputs"}.
        self.shared: dict[str, dict[str, Any]] = {}
        #: Every distinct finding, encoded; an entry's summary lists indexes into it.
        self.findings: list[Any] = []
        self._finding_index: dict[Any, int] | None = None  # _finding_key of a finding -> its index
        self._decoded: dict[int, Any] = {}
        self.changed = False
        #: Why the file was discarded on load ("" when it loaded, or didn't exist).
        self.discarded = ""

    def load(self) -> BuildCache:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return self
        except (OSError, ValueError, RecursionError, MemoryError) as e:  # RecursionError: '[' nested 100,000 deep
            return self._discard(f"unreadable ({e.__class__.__name__})")
        if (not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("issues"), dict)
                or not isinstance(data.get("findings"), list)):
            return self._discard("not in the current format")
        if not all(_stored_finding_ok(f) for f in data["findings"]):
            return self._discard("a finding is not one the checks make")  # one bad row: trust none of it
        self.findings = data["findings"]
        self.entries = {k: v for k, v in data["issues"].items() if _entry_ok(v, len(self.findings))}
        if len(self.entries) != len(data["issues"]):
            self.changed = True
        shared = data.get("shared")
        if isinstance(shared, dict):
            self.shared = {k: v for k, v in shared.items()
                           if isinstance(v, dict) and isinstance(v.get("key"), str) and _names_ok(v.get("outputs"))}
        return self

    def shared_current(self, name: str, key: str) -> bool:
        """True when the shared output ``name`` was made with ``key`` and is untouched."""
        entry = self.shared.get(name)
        return entry is not None and entry["key"] == key and self._intact(entry, entry["outputs"])

    def record_shared(self, name: str, key: str, written: list[Path]) -> None:
        outputs = {output_name(p, self.ws.out_dir): file_digest(p) for p in written}
        self.shared[name] = {"key": key, "outputs": outputs, "stat": self._stats(outputs)}
        self.changed = True

    def _stats(self, outputs: dict[str, str]) -> dict[str, list[int]]:
        stats = {}
        out = str(self.ws.out_dir)
        for file_name in outputs:
            try:
                st = os.stat(os.path.join(out, file_name))
            except OSError:
                continue
            stats[file_name] = [st.st_size, st.st_mtime_ns]
        return stats

    def _intact(self, entry: dict[str, Any], outputs: dict[str, str]) -> bool:
        """Every output unchanged. A file whose size and modification time are the ones
        recorded when it was written is taken as unchanged (as git does); any other is
        hashed, and kept only if its SHA-256 is still the recorded one."""
        stats = entry.get("stat")
        if not isinstance(stats, dict):
            stats = entry["stat"] = {}
        out = str(self.ws.out_dir)
        for file_name, digest in outputs.items():
            path = os.path.join(out, file_name)
            try:
                st = os.stat(path)
                now = [st.st_size, st.st_mtime_ns]
                if stats.get(file_name) == now:
                    continue
                if file_digest(path) != digest:
                    return False
            except OSError:
                return False
            stats[file_name] = now
            self.changed = True
        return True

    def _discard(self, why: str) -> BuildCache:
        self.discarded = why
        self.entries = {}
        self.shared = {}
        self.changed = True
        return self

    def name_for(self, issue: Path) -> str:
        """The entry name of an issue file: its path in the workspace, or absolute outside it."""
        if issue.is_absolute() and ".." not in issue.parts:
            try:  # the common case (ws.issue_files()): no need to ask the file system
                return issue.relative_to(self._root).as_posix()
            except ValueError:
                pass
        # The folder resolved, not the file: a link in issues/ is an issue of its own (its own
        # slug and outputs), and must not take the entry of the file it points to.
        resolved = issue.parent.resolve() / issue.name
        try:
            return resolved.relative_to(self._root).as_posix()
        except ValueError:
            return str(resolved)

    def lookup(self, name: str, key: str, required: tuple[str, ...] = ()) -> IssueSummary | None:
        """The cached summary when the entry matches ``key``, its outputs are untouched, and
        it has every output in ``required`` (names with ``{slug}`` in them)."""
        entry = self.entries.get(name)
        if entry is None or entry["key"] != key:
            return None
        try:
            summary = _decode_summary(entry["summary"], self._finding)
        except (TypeError, ValueError, KeyError, ImportError, AttributeError, ArithmeticError, RecursionError):
            return None  # rebuilt, never trusted
        if any(r.format(slug=summary.slug) not in summary.outputs for r in required):
            return None
        return summary if self._intact(entry, summary.outputs) else None

    def record(self, name: str, key: str, summary: IssueSummary) -> None:
        try:
            encoded = _encode_summary(summary)
        except TypeError:  # findings we can't store: leave the issue uncached
            self.forget(name)
            return
        if not all(_stored_finding_ok(f) for f in encoded["findings"]):  # load() would throw the cache away
            self.forget(name)
            return
        encoded["findings"] = [self._intern(f) for f in encoded["findings"]]
        self.entries[name] = {"key": key, "summary": encoded, "stat": self._stats(summary.outputs)}
        self.changed = True

    def _intern(self, encoded: Any) -> int:
        """The table index of an encoded finding, added to the table when it is new."""
        if self._finding_index is None:
            self._finding_index = {_finding_key(f): i for i, f in enumerate(self.findings)}
        key = _finding_key(encoded)
        index = self._finding_index.get(key)
        if index is None:
            index = self._finding_index[key] = len(self.findings)
            self.findings.append(encoded)
        return index

    def _finding(self, index: int) -> Any:
        """The finding at ``index``, decoded once however many entries use it."""
        if index not in self._decoded:
            self._decoded[index] = _decode(self.findings[index])
        return self._decoded[index]

    def forget(self, name: str) -> None:
        if self.entries.pop(name, None) is not None:
            self.changed = True

    def slug_of(self, name: str) -> str:
        entry = self.entries.get(name, {})
        return str(entry.get("summary", {}).get("slug", ""))

    def save(self) -> None:
        if not self.changed:
            return
        self._compact()
        data = {"format": FORMAT, "version": newsletter.__version__, "issues": dict(sorted(self.entries.items())),
                "findings": self.findings, "shared": dict(sorted(self.shared.items()))}
        write_atomic(self.path, json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n")
        self.changed = False


    def _compact(self) -> None:
        """Drop the table's findings no entry points to any more (issues deleted or rebuilt)."""
        used = sorted({i for e in self.entries.values() for i in e["summary"]["findings"]})
        if len(used) == len(self.findings):
            return
        new_index = {old: new for new, old in enumerate(used)}
        self.findings = [self.findings[i] for i in used]
        for entry in self.entries.values():
            entry["summary"]["findings"] = [new_index[i] for i in entry["summary"]["findings"]]
        self._finding_index = None
        self._decoded = {}


def _finding_key(encoded: Any) -> Any:
    """What tells two encoded findings apart: equal keys exactly when their JSON is equal.

    A dataclass of plain strings, whole numbers and nulls (every finding the checks make)
    is keyed by its type and field values, which is quicker than writing its JSON; any
    other is keyed by its JSON, keys sorted. The two kinds never compare equal."""
    if type(encoded) is dict and len(encoded) == 2 and type(encoded.get("fields")) is dict:
        name, fields = encoded.get("__dataclass__"), encoded["fields"]
        if type(name) is str and all(type(v) is str or type(v) is int or v is None for v in fields.values()):
            return (name, tuple(sorted(fields.items())))
    return json.dumps(encoded, sort_keys=True)


#: What the checks make (newsletter.checks.Finding), as the cache stores it: its fields and their types.
FINDING_CLASS = "newsletter.checks:Finding"
_FINDING_FIELDS = {"rule": str, "severity": str, "message": str, "file": str, "line": int, "hint": str, "issue": str}
#: newsletter.checks.SEVERITIES, without importing the checks.
_SEVERITIES = ("error", "warning", "info")


def _stored_finding_ok(encoded: Any) -> bool:
    """An encoded finding is a newsletter.checks.Finding with every field of the right type and
    a known severity (the report counts findings by severity). ``issue`` may be null: the
    entry's own issue file, put back on decoding."""
    if type(encoded) is not dict or set(encoded) != {"__dataclass__", "fields"} \
            or encoded["__dataclass__"] != FINDING_CLASS or type(encoded["fields"]) is not dict:
        return False
    fields = encoded["fields"]
    if set(fields) != set(_FINDING_FIELDS) or fields["severity"] not in _SEVERITIES:
        return False
    return all(type(fields[name]) is kind or (name == "issue" and fields[name] is None)
               for name, kind in _FINDING_FIELDS.items())


def _names_ok(outputs: Any) -> bool:
    """Output name -> SHA-256, all strings."""
    return isinstance(outputs, dict) and all(type(k) is str and type(v) is str for k, v in outputs.items())


def _entry_ok(entry: Any, table_size: int) -> bool:
    if not (
        isinstance(entry, dict)
        and isinstance(entry.get("key"), str)
        and isinstance(entry.get("summary"), dict)
        and isinstance(entry["summary"].get("slug"), str)
        and bool(entry["summary"]["slug"])
        and isinstance(entry["summary"].get("findings"), list)
        and _names_ok(entry["summary"].get("outputs"))
        and isinstance(entry["summary"].get("warnings"), list)
        and all(type(w) is str for w in entry["summary"]["warnings"])
    ):
        return False
    return all(type(i) is int and 0 <= i < table_size for i in entry["summary"]["findings"])


def _encode_summary(summary: IssueSummary) -> dict[str, Any]:
    """The summary as JSON data. A finding's ``issue`` that is the summary's own issue file is
    stored as null (and put back on decoding), so the same finding in two issues is stored once."""
    data = {f.name: getattr(summary, f.name) for f in dataclasses.fields(summary)}
    own = getattr(summary.issue, "path", None)
    findings = [_encode(x) for x in summary.findings]
    for f in findings:
        fields = f.get("fields") if isinstance(f, dict) and "__dataclass__" in f else None
        if own and fields and fields.get("issue") == own:
            fields["issue"] = None
    data["findings"] = findings
    data["issue"] = _encode(summary.issue)
    return data


def _decode_summary(data: dict[str, Any], finding: Any = None) -> IssueSummary:
    """``finding`` turns an entry of data["findings"] into the finding (the cache's table
    look-up); by default the entries are the encoded findings themselves."""
    finding = finding or _decode
    outputs = data["outputs"]
    if not isinstance(outputs, dict) or not outputs:
        raise ValueError("no outputs recorded")
    issue = _decode(data.get("issue"))
    if issue is not None and f"{type(issue).__module__}:{type(issue).__qualname__}" != "newsletter.content.model:Issue":
        raise ValueError("the cached issue is not an issue")
    if issue is not None:
        _check_issue(issue)
    own = getattr(issue, "path", None)
    findings = [_with_issue(finding(x), own) for x in data["findings"]]
    for f in findings:
        _check_finding(f)
    return IssueSummary(
        slug=str(data["slug"]),
        html_bytes=_whole(data["html_bytes"]),
        words=_whole(data["words"]),
        reading_minutes=_whole(data["reading_minutes"]),
        warnings=[str(w) for w in data["warnings"]],
        findings=findings,
        outputs={str(k): str(v) for k, v in outputs.items()},
        issue=issue,
    )


# What a cached entry is used for (the report, the archive index and feed) is checked for its
# type here: an entry edited by hand must be rebuilt, not end a later build in a traceback.

def _whole(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise ValueError(f"{value!r} is not a count")
    return value


def _check_issue(issue: Any) -> None:
    """The cached issue's front matter, as the archive's index and feed read it."""
    if (type(issue.date) is not dt.date or not (issue.updated is None or type(issue.updated) is dt.datetime)
            or not all(type(getattr(issue, name)) is str for name in ("path", "slug", "subject", "preheader"))
            or not (issue.number is None or type(issue.number) is int)):
        raise ValueError("the cached issue's fields have the wrong types")


def _check_finding(finding: Any) -> None:
    """A decoded finding is what the checks make (load() checked the table; this is the same
    check on the objects, for summaries decoded from elsewhere)."""
    kind: Any = type(finding)
    if _class_name(kind) != FINDING_CLASS or not (
            all(type(getattr(finding, name)) is str for name in ("rule", "severity", "message", "file", "hint"))
            and type(finding.line) is int and (finding.issue is None or type(finding.issue) is str)
            and finding.severity in _SEVERITIES):
        raise ValueError("a cached finding is not one the checks make")


def _with_issue(finding: Any, issue: Any) -> Any:
    """``finding`` with its stored-as-null ``issue`` put back (a copy: table findings are shared)."""
    if getattr(finding, "issue", "") is not None:
        return finding
    if hasattr(finding, "__dict__") and not hasattr(type(finding), "__slots__"):
        copy = object.__new__(type(finding))  # as dataclasses.replace, without re-running __init__
        copy.__dict__.update(finding.__dict__)
        copy.__dict__["issue"] = issue
        return copy
    return dataclasses.replace(finding, issue=issue)


# Values are stored with their type (dataclasses, enums, plain values) so a cached build
# reports the same objects a fresh one would. The cache keeps only findings of the checks'
# own Finding class: anything else in the table means the file was edited or damaged.

@lru_cache(maxsize=256)
def _class_name(cls: Any) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


@lru_cache(maxsize=256)
def _init_fields(cls: Any) -> tuple[str, ...]:
    """The names of a dataclass's ``__init__`` fields (dataclasses.fields() builds a tuple per call)."""
    return tuple(f.name for f in dataclasses.fields(cls) if f.init)


@lru_cache(maxsize=256)
def _dataclass_type(name: str) -> Any:
    cls = _load_type(name)
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{name} is no longer a dataclass")
    return cls


@lru_cache(maxsize=256)
def _load_type(name: str) -> Any:
    """A class named in the cache: one of this package's, or of a module already imported
    (a rule's own findings). Nothing else is imported: the cache is a file in out/, and
    importing a module named there would run whatever it names."""
    module, _, qualname = name.partition(":")
    if module.partition(".")[0] != "newsletter" and module not in sys.modules:
        raise ImportError(f"the cache names {module!r}, which is not loaded")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _encode(obj: Any) -> Any:
    kind: Any = type(obj)
    if kind is str or kind is int or obj is None:  # most values: no isinstance chain
        return obj
    if isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, enum.Enum):
        return {"__enum__": _class_name(kind), "value": _encode(obj.value)}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fields = {}
        for name in _init_fields(kind):
            value = getattr(obj, name)
            fields[name] = value if type(value) is str or type(value) is int or value is None else _encode(value)
        return {"__dataclass__": _class_name(kind), "fields": fields}
    if isinstance(obj, Path):
        return {"__path__": str(obj)}
    if isinstance(obj, dt.datetime):
        return {"__datetime__": obj.isoformat()}
    if isinstance(obj, dt.date):
        return {"__date__": obj.isoformat()}
    if isinstance(obj, tuple):
        return {"__tuple__": [_encode(x) for x in obj]}
    if isinstance(obj, list):
        return [_encode(x) for x in obj]
    if isinstance(obj, dict) and all(isinstance(k, str) for k in obj):
        if any(k.startswith("__") for k in obj):
            raise TypeError("dict keys starting with __ are reserved")
        return {k: _encode(v) for k, v in obj.items()}
    raise TypeError(f"cannot store a {type(obj).__name__} in the build cache")


_SCALARS = (str, int, float, bool, type(None))


def _decode(data: Any) -> Any:
    kind = type(data)
    if kind is str or kind is int or kind is bool or kind is float or data is None:
        return data
    if kind is list:
        return [_decode(x) for x in data]
    if kind is not dict:
        return data
    if "__enum__" in data:
        return _load_type(data["__enum__"])(_decode(data["value"]))
    if "__dataclass__" in data:
        cls = _dataclass_type(data["__dataclass__"])
        return cls(**{k: v if type(v) in _SCALARS else _decode(v) for k, v in data["fields"].items()})
    if "__path__" in data:
        return Path(data["__path__"])
    if "__datetime__" in data:
        return dt.datetime.fromisoformat(data["__datetime__"])
    if "__date__" in data:
        return dt.date.fromisoformat(data["__date__"])
    if "__tuple__" in data:
        return tuple(_decode(x) for x in data["__tuple__"])
    return {k: _decode(v) for k, v in data.items()}
