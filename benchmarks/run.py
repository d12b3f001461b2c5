"""Benchmarks, side by side in one run; figures printed and written into docs/performance.md.

    python3 benchmarks/run.py                 # everything (the 1,000-issue archive takes minutes)
    python3 benchmarks/run.py --archive 100   # a smaller archive
    python3 benchmarks/run.py --no-docs       # print only

1. Cold build of the multi-story example issue, whole process (median of --runs), against
   the same MJML (from --emit-mjml) compiled by MJML's JavaScript toolchain: the ``mjml``
   v5 CLI, then ``juice`` with our theme's inlined CSS, run in turn with ours. Ours again with
   an empty user cache folder each run (the first build on a machine: nothing remembered).
2. Warm rebuild of that issue after an edit, in a long-lived process, as the preview does it:
   the first pass (what the frame shows), then the .eml, the quality gate and the writes.
3. An archive of generated ~2,000-word issues: full build, a rebuild with nothing changed,
   a rebuild after one issue changed; peak memory of the process tree.
4. Output bytes: our email.html against the JS toolchain's for the same MJML.
5. ``newsletter --help``, whole process.

Every process figure comes with its CPU time (user + system, this process and its
children): on a shared machine the wall time includes waiting for a core, CPU time doesn't.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.generate import issue_text, make_workspace  # noqa: E402

DOC = REPO / "docs" / "performance.md"
START, END = "<!-- figures:start -->", "<!-- figures:end -->"
NEWSLETTER = [sys.executable, "-m", "newsletter"]


@dataclass
class Timing:
    """Wall and CPU seconds of repeated runs."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu) if self.cpu else float("nan")

    def __str__(self) -> str:
        return f"{ms(self.median)} wall (CPU {ms(self.cpu_median)}), median of {len(self.wall)}"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def steal_seconds() -> float:
    """CPU time the hypervisor gave to other guests so far, all cores (Linux /proc/stat), or 0.
    On a virtual machine a build's wall time includes it, and it varies with the host's load."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            fields = f.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def run_process(cmd: list[str], cwd: Path | None = None, timing: Timing | None = None,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    cpu0, t0 = _children_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}")
    if timing is not None:
        timing.wall.append(wall)
        timing.cpu.append(cpu)
    return proc


# --- the JavaScript toolchain -------------------------------------------------------------

#: Never fetch images, stylesheets or scripts over the network; decode entities in style
#: attributes first (MJML writes font-family quotes as &#39;, and juice 11 crashes on them).
JUICE_OPTIONS = ["--web-resources-images", "false", "--web-resources-links", "false",
                 "--web-resources-scripts", "false", "--decode-style-attributes", "true"]


def js_tools(tmp: Path) -> tuple[Path, Path] | str:
    """(mjml, juice) executables, or why there are none."""
    node = shutil.which("node")
    if node is None:
        return "node is not installed: the JavaScript toolchain was not run"
    for folder in (REPO / ".tools" / "node_modules" / ".bin", tmp / "npm" / "node_modules" / ".bin"):
        if (folder / "mjml").exists() and (folder / "juice").exists():
            return folder / "mjml", folder / "juice"
    npm = shutil.which("npm")
    if npm is None:
        return "npm is not installed: the JavaScript toolchain was not run"
    (tmp / "npm").mkdir()
    proc = subprocess.run([npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(tmp / "npm"),
                           "mjml@5", "juice"], capture_output=True, text=True)
    folder = tmp / "npm" / "node_modules" / ".bin"
    if proc.returncode != 0 or not (folder / "mjml").exists():
        return f"npm install mjml@5 juice failed: {proc.stderr.strip()[:200]}"
    return folder / "mjml", folder / "juice"


def npm_version(tool: Path, package: str) -> str:
    pkg = tool.resolve().parents[1] / "package.json"
    for candidate in (pkg, tool.parent.parent / package / "package.json"):
        if candidate.exists():
            m = re.search(r'"version"\s*:\s*"([^"]+)"', candidate.read_text())
            if m:
                return m.group(1)
    return "?"


# --- workspaces ---------------------------------------------------------------------------

def example_issue() -> tuple[Path, str]:
    """The multi-story example issue (the one with the most stories), or a generated one."""
    issues = sorted((REPO / "issues").glob("*.md"))
    if issues:
        best = max(issues, key=lambda p: sum(1 for line in p.read_text().splitlines() if line.startswith("# ")))
        return best, f"issues/{best.name}"
    tmp = Path(tempfile.mkdtemp()) / "generated.md"
    tmp.write_text(issue_text(7, words=1700, stories=5))
    return tmp, "a generated 5-story issue (no example issues in issues/ yet)"


def single_workspace(tmp: Path, issue: Path) -> Path:
    root = tmp / "single"
    (root / "issues").mkdir(parents=True)
    settings = REPO / "newsletter.yaml"
    if settings.exists():
        shutil.copy(settings, root / "newsletter.yaml")
    else:
        make_workspace(root, 0)
    shutil.copy(issue, root / "issues" / issue.name)
    return root


# --- 1 and 4: cold build against the JS toolchain -----------------------------------------

def cold_build(tmp: Path, issue: Path, runs: int) -> dict[str, object]:
    root = single_workspace(tmp, issue)
    issue_path = root / "issues" / issue.name
    slug = issue.stem
    run_process(NEWSLETTER + ["build", "--emit-mjml", "--force", str(issue_path)], cwd=root)
    # Kept apart: each timed build below, without --emit-mjml, removes out/<slug>/email.mjml.
    mjml_file = tmp / "email.mjml"
    shutil.copyfile(root / "out" / slug / "email.mjml", mjml_file)
    css_file = tmp / "email.css"
    css_file.write_text(inline_css_of(root, issue_path))
    ours_html = (root / "out" / slug / "email.html").read_bytes()

    result: dict[str, object] = {"ours_bytes": len(ours_html)}
    tools = js_tools(tmp)
    ours, theirs = Timing(), Timing()
    js_out = tmp / "js"
    js_out.mkdir()
    for _ in range(runs):  # in turn, so both see the same machine load
        run_process(NEWSLETTER + ["build", "--force", str(issue_path)], cwd=root, timing=ours)
        if isinstance(tools, tuple):
            mjml_bin, juice_bin = tools
            t = Timing()
            run_process([str(mjml_bin), str(mjml_file), "-o", str(js_out / "mjml.html")], timing=t)
            run_process([str(juice_bin), *JUICE_OPTIONS, "--css", str(css_file), str(js_out / "mjml.html"),
                         str(js_out / "email.html")], timing=t)
            theirs.wall.append(sum(t.wall))
            theirs.cpu.append(sum(t.cpu))
    result["ours"] = ours
    # The first build on a machine: an empty user cache folder (no compiled templates, no parsed
    # CSS, no YAML read before), a new one for each run.
    first = Timing()
    for n in range(runs):
        env = {**os.environ, "NEWSLETTER_CACHE_DIR": str(tmp / f"empty-cache-{n}")}
        run_process(NEWSLETTER + ["build", "--force", str(issue_path)], cwd=root, timing=first, env=env)
    result["empty_cache"] = first
    if isinstance(tools, tuple):
        result["theirs"] = theirs
        result["theirs_bytes"] = (js_out / "email.html").stat().st_size
        result["mjml_only_bytes"] = (js_out / "mjml.html").stat().st_size
        result["js_versions"] = f"mjml {npm_version(tools[0], 'mjml')}, juice {npm_version(tools[1], 'juice')}"
    else:
        result["js_note"] = tools
    return result


def inline_css_of(root: Path, issue_path: Path) -> str:
    """The theme's email.css as rendered for this issue (what premailer inlines)."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from newsletter.workspace import open_workspace\n"
        "from newsletter.content.parse import parse_issue_file\n"
        "from newsletter.render.context import build_context\n"
        "from newsletter.render.jinja import get_environment\n"
        "from newsletter.render.mjml import INLINE_CSS_TEMPLATE, render_template\n"
        "ws = open_workspace(Path(sys.argv[1]))\n"
        "ctx = build_context(parse_issue_file(Path(sys.argv[2])), ws.settings)\n"
        "sys.stdout.write(render_template(get_environment(ws.templates_dir), INLINE_CSS_TEMPLATE, ctx.html))\n"
    )
    return run_process([sys.executable, "-c", code, str(root), str(issue_path)]).stdout


# --- 2: warm rebuild in one process -------------------------------------------------------

def warm_rebuild(tmp: Path, issue: Path, runs: int) -> dict[str, float]:
    """What the preview does after each save: the issue changed (one paragraph edited, the line
    count kept), the first pass (HTML and text: what the frame shows), then the .eml and the
    quality gate added to it and the files written."""
    root = single_workspace(tmp, issue) if not (tmp / "single").exists() else tmp / "single"
    code = f"""
import statistics, sys, time
from pathlib import Path
from newsletter.workspace import open_workspace
from newsletter.build import add_extras, render_issue, write_issue
ws = open_workspace(Path({str(root)!r}))
path = ws.issue_files()[0]
lines = path.read_text(encoding="utf-8").split("\\n")
edit = max(i for i, line in enumerate(lines) if line[:1].isalpha())  # the last paragraph's line
t0 = time.perf_counter(); write_issue(ws, render_issue(ws, path, text_tokens=True)); first = time.perf_counter() - t0
frames, wholes, cpus = [], [], []
for n in range({runs}):
    changed = list(lines)
    changed[edit] = lines[edit] + f" Edit {{n}}."
    path.write_text("\\n".join(changed), encoding="utf-8")
    c0, t0 = time.process_time(), time.perf_counter()
    result = render_issue(ws, path, extras=False, text_tokens=True)  # as the preview renders
    t1 = time.perf_counter()
    add_extras(ws, result, write=True)  # as the preview does: the files written while the gate runs
    wholes.append(time.perf_counter() - t0); cpus.append(time.process_time() - c0); frames.append(t1 - t0)
print(first, statistics.median(frames), statistics.median(wholes), statistics.median(cpus), min(wholes))
"""
    first, frame, whole, cpu, best = map(float, run_process([sys.executable, "-c", code]).stdout.split())
    return {"first": first, "frame": frame, "wall": whole, "cpu": cpu, "best": best, "runs": runs}


def cold_phases(tmp: Path) -> dict[str, float]:
    """CPU seconds of a fresh process's phases: interpreter start, imports, first render, write."""
    root = tmp / "single"
    code = f"""
import os, time
start = sum(os.times()[:2])
from pathlib import Path
from newsletter.workspace import open_workspace
from newsletter.build import render_issue, write_issue
from newsletter.render.inline import prepare_inliner
import mjml
# What render_issue imports on its first call (the pipeline loads lazily): counted as imports.
import newsletter.content.parse, newsletter.deliver.eml, newsletter.deliver.utm, newsletter.render.context
import newsletter.render.jinja, newsletter.render.mjml, newsletter.steps, newsletter.checks.context
prepare_inliner()
imported = sum(os.times()[:2])
ws = open_workspace(Path({str(root)!r}))
result = render_issue(ws, ws.issue_files()[0])
rendered = sum(os.times()[:2])
write_issue(ws, result)
written = sum(os.times()[:2])
print(start, imported - start, rendered - imported, written - rendered)
"""
    runs = [list(map(float, run_process([sys.executable, "-c", code]).stdout.split())) for _ in range(5)]
    med = [statistics.median(r[i] for r in runs) for i in range(4)]
    return {"start": med[0], "imports": med[1], "render": med[2], "write": med[3]}


# --- 3: the archive -----------------------------------------------------------------------

class TreeMemory:
    """Samples the summed RSS (and PSS) of a process and all its descendants, and the largest
    peak RSS (VmHWM) any one of them reached."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_rss = 0
        self.peak_pss = 0
        self.peak_procs = 0
        self.peak_one = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _tree(self) -> list[int]:
        children: dict[int, list[int]] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
        out, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo.extend(children.get(pid, []))
        return out

    @staticmethod
    def _kb(path: str, key: str) -> int:
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith(key):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            pids = self._tree()
            rss = sum(self._kb(f"/proc/{p}/status", "VmRSS:") for p in pids)
            pss = sum(self._kb(f"/proc/{p}/smaps_rollup", "Pss:") for p in pids)
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_pss = max(self.peak_pss, pss)
            self.peak_procs = max(self.peak_procs, len(pids))
            self.peak_one = max([self.peak_one] + [self._kb(f"/proc/{p}/status", "VmHWM:") for p in pids])


def timed_build(root: Path, extra: list[str] | None = None) -> dict[str, float]:
    cpu0, t0, steal0 = _children_cpu(), time.perf_counter(), steal_seconds()
    proc = subprocess.Popen(NEWSLETTER + ["build", *(extra or [])], cwd=root, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    with TreeMemory(proc.pid) as mem:
        out, err = proc.communicate()
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    if proc.returncode != 0:
        raise SystemExit(f"archive build failed:\n{out[-2000:]}\n{err[-2000:]}")
    return {"wall": wall, "cpu": cpu, "steal": steal_seconds() - steal0, "rss_mib": mem.peak_rss / 1024, "pss_mib": mem.peak_pss / 1024,
            "procs": mem.peak_procs, "maxrss_one_mib": mem.peak_one / 1024}


def archive(tmp: Path, count: int, runs: int = 5) -> dict[str, object]:
    """Full builds from an empty out/ (median of ``runs``: this machine's speed varies from one
    minute to the next), rebuilds with nothing changed (median of 5), one after an edit."""
    root = make_workspace(tmp / "archive", count)
    words = [len(re.findall(r"\S+", p.read_text())) for p in sorted((root / "issues").glob("*.md"))[:20]]
    fulls = []
    for _ in range(runs):
        shutil.rmtree(root / "out", ignore_errors=True)
        fulls.append(timed_build(root))
    full = sorted(fulls, key=lambda f: f["wall"])[len(fulls) // 2]
    full["all_walls"] = [f["wall"] for f in fulls]
    full["all_steals"] = [f["steal"] for f in fulls]
    nothings = sorted((timed_build(root) for _ in range(5)), key=lambda f: f["wall"])
    nothing = nothings[len(nothings) // 2]
    first = sorted((root / "issues").glob("*.md"))[0]
    first.write_text(first.read_text() + "\nOne more sentence for the benchmark.\n")
    one = timed_build(root)
    return {"count": count, "words": statistics.mean(words), "full": full, "nothing": nothing, "one": one,
            "runs": runs}


# --- 5: --help ----------------------------------------------------------------------------

def help_time(runs: int) -> Timing:
    t = Timing()
    for _ in range(runs):
        run_process(NEWSLETTER + ["--help"], timing=t)
    return t


# --- the report ---------------------------------------------------------------------------

def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return (f"{cpu}, {os.cpu_count()} cores{mem}; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}")


def verdict(value: float, target: float) -> str:
    return "meets the target" if value <= target else "misses the target"


def report(r: dict[str, object]) -> str:
    lines = [f"Measured {r['date']} on {r['machine']}.",
             f"Code measured: commit {r['commit']} (with everything on main at that point: checks, .eml, archive).",
             f"Load average {r['load_before']} before the run and {r['load_after']} after it "
             f"(other work shared the machine: wall times include waiting for a core; CPU times don't).",
             f"{r.get('bytecode', '')}.", ""]
    cold = r["cold"]
    ours: Timing = cold["ours"]  # type: ignore[index]
    lines += ["| # | Measure | Result | Target |", "|---|---|---|---|"]
    if "theirs" in cold:  # type: ignore[operator]
        theirs: Timing = cold["theirs"]  # type: ignore[index]
        ratio = ours.median / theirs.median
        cpu_ratio = ours.cpu_median / theirs.cpu_median
        lines.append(f"| 1 | Cold build of {r['issue']}, whole process | ours {ours}; "
                     f"JS toolchain ({cold['js_versions']}, two processes) {theirs}; "
                     f"ratio {ratio:.2f}x wall, {cpu_ratio:.2f}x CPU | <= 0.30x ({verdict(ratio, 0.30)}) |")
    else:
        lines.append(f"| 1 | Cold build of {r['issue']}, whole process | ours {ours}; {cold['js_note']} | <= 0.30x |")
    ph = r["phases"]
    lines.append(f"| 1b | Where a cold build's CPU goes (one process, median of 5) | interpreter start "
                 f"{ms(ph['start'])}, imports {ms(ph['imports'])}, first render_issue {ms(ph['render'])}, "
                 f"write {ms(ph['write'])} | - |")
    lines.append(f"| 1c | The same cold build with an empty user cache folder (the first build on a machine: "
                 f"templates compiled, CSS and YAML parsed, nothing remembered) | {cold['empty_cache']} | - |")
    warm = r["warm"]
    lines.append(f"| 2a | Warm rebuild after an edit, the preview's first pass (HTML and text: what the frame "
                 f"shows) | {ms(warm['frame'])} median of {warm['runs']} | <= 10 ms ({verdict(warm['frame'], 0.010)}) |")
    lines.append(f"| 2b | Warm rebuild after an edit, whole (+ .eml, quality gate, files written: what "
                 f"`build` does) | {ms(warm['wall'])} median (CPU {ms(warm['cpu'])}; best {ms(warm['best'])}; "
                 f"first call {ms(warm['first'])}) | <= 10 ms ({verdict(warm['wall'], 0.010)}) |")
    a = r["archive"]
    if a:
        full, nothing, one = a["full"], a["nothing"], a["one"]  # type: ignore[index]
        walls = ", ".join(f"{ms(w)} ({ms(st)} stolen)" for w, st in zip(full["all_walls"], full["all_steals"]))
        lines.append(f"| 3a | Archive of {a['count']:,} issues (~{a['words']:,.0f} words each): full build from an "
                     f"empty out/, with the web archive | {ms(full['wall'])} wall, CPU {ms(full['cpu'])} (median of "
                     f"{a['runs']}: {walls}) | <= 15 s ({verdict(full['wall'], 15)}) |")
        lines.append(f"| 3b | Rebuild with nothing changed | {ms(nothing['wall'])} wall, CPU {ms(nothing['cpu'])} "
                     f"(median of 5) | <= 1 s ({verdict(nothing['wall'], 1)}) |")
        lines.append(f"| 3c | Rebuild after one issue changed | {ms(one['wall'])} wall, CPU {ms(one['cpu'])} | - |")
        lines.append(f"| 3d | Peak memory of the full build's process tree | {full['rss_mib']:.0f} MiB summed RSS "
                     f"({full['pss_mib']:.0f} MiB PSS, {full['procs']} processes; largest single process "
                     f"{full['maxrss_one_mib']:.0f} MiB) | <= 300 MiB ({verdict(full['rss_mib'], 300)}) |")
    if "theirs_bytes" in cold:  # type: ignore[operator]
        b_ratio = cold["ours_bytes"] / cold["theirs_bytes"]  # type: ignore[operator]
        lines.append(f"| 4 | email.html bytes, same MJML | ours {cold['ours_bytes']:,}; JS toolchain "
                     f"{cold['theirs_bytes']:,} (mjml alone {cold['mjml_only_bytes']:,}); ratio {b_ratio:.2f}x "
                     f"| <= 0.8x ({verdict(b_ratio, 0.8)}) |")
    else:
        lines.append(f"| 4 | email.html bytes | ours {cold['ours_bytes']:,}; {cold.get('js_note', '')} | <= 0.8x |")
    lines.append(f"| 5 | `newsletter --help`, whole process | {r['help']} | - |")
    return "\n".join(lines)


def write_doc(text: str) -> None:
    if not DOC.exists():
        raise SystemExit(f"{DOC} is missing: it holds the prose around the figures")
    doc = DOC.read_text(encoding="utf-8")
    if START not in doc or END not in doc:
        raise SystemExit(f"{DOC} has no {START} ... {END} section")
    before, rest = doc.split(START, 1)
    _, after = rest.split(END, 1)
    DOC.write_text(f"{before}{START}\n{text}\n{END}{after}", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7, help="runs per whole-process timing (median; at least 7)")
    ap.add_argument("--warm-runs", type=int, default=50)
    ap.add_argument("--archive", type=int, default=1000, help="issues in the generated archive (0 skips it)")
    ap.add_argument("--no-docs", action="store_true", help="print the figures without writing docs/performance.md")
    args = ap.parse_args()
    runs = max(7, args.runs)
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    r: dict[str, object] = {"commit": commit.stdout.strip() or "unknown",
                            "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                            "machine": machine(), "load_before": f"{os.getloadavg()[0]:.1f}"}
    issue, label = example_issue()
    r["issue"] = label
    # An installed package has its bytecode compiled (pip does it); this checkout's editable
    # install gets none when PYTHONDONTWRITEBYTECODE is set, and every process would compile
    # newsletter/ from source. __pycache__/ is git-ignored and checked against the sources.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "newsletter")], check=True,
                   stdout=subprocess.DEVNULL)
    r["bytecode"] = "newsletter/ bytecode precompiled (as pip install does)" + (
        "; PYTHONDONTWRITEBYTECODE=1 is set in this environment" if os.environ.get("PYTHONDONTWRITEBYTECODE") else "")
    with tempfile.TemporaryDirectory(prefix="newsletter-bench-") as t:
        tmp = Path(t)
        print(f"1, 4. cold build of {label} against the JS toolchain ({runs} runs each, in turn) ...", flush=True)
        r["cold"] = cold_build(tmp, issue, runs)
        r["phases"] = cold_phases(tmp)
        print("2. warm rebuild ...", flush=True)
        r["warm"] = warm_rebuild(tmp, issue, args.warm_runs)
        print("5. newsletter --help ...", flush=True)
        r["help"] = help_time(runs)
        r["archive"] = None
        if args.archive > 0:
            print(f"3. archive of {args.archive} generated issues (full build, nothing changed, one changed) ...",
                  flush=True)
            r["archive"] = archive(tmp, args.archive)
    r["load_after"] = f"{os.getloadavg()[0]:.1f}"
    text = report(r)
    print("\n" + text)
    if not args.no_docs:
        write_doc(text)
        print(f"\nwritten to {DOC.relative_to(REPO)}")


if __name__ == "__main__":
    main()
