"""Every benchmark at full size, one after the other, and one JSON summary (`make bench-full`).

Each benchmark runs as its own process, called as it is documented in benchmarks/README.md;
its output is passed through as it comes (prefixed with its name), each has a timeout, and
the summary records its command, exit status (each exits non-zero when it misses its goal),
wall time, the machine's load average before and after, the last lines it printed and, for
those that write one (`--json`), its figures. Exits 1 when any benchmark failed or missed
its goal.

    .venv/bin/python benchmarks/full.py [--out bench-full.json] [--pg URL] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
TAIL = 40


def production_python(scratch: Path) -> str:
    """A production install's interpreter (the project without its dev extra, as the Docker
    image has it), for the memory benchmarks: the dev install's tools (rich, click, pygments,
    imported by httpx when present) would count ~6 MB that production never loads."""
    venv = scratch / "production"
    subprocess.run([PY, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "-e", str(ROOT)],
                   check=True)
    return str(venv / "bin" / "python")


def plan(pg: str, scratch: Path,
         production: str) -> list[tuple[str, list[str], float, Path | None]]:
    """(name, command, timeout in s, its JSON file or None), in the order they run."""
    bench = ROOT / "benchmarks"

    def py(script: str, *args: str) -> list[str]:
        return [PY, str(bench / script), *args]

    def out(name: str) -> Path:
        return scratch / f"{name}.json"

    return [
        ("faq_eval", py("faq_eval.py"), 1800, None),
        ("digest_bench", py("digest_bench.py", "--pg", pg), 3600, None),
        ("notice_fanout", py("notice_fanout.py"), 3600, None),
        ("memory", py("memory.py", "--python", production, "--json", str(out("memory"))),
         3600, out("memory")),
        ("memory_pg", py("memory.py", "--python", production, "--pg", pg, "--json",
                         str(out("memory_pg"))), 3600, out("memory_pg")),
        ("throughput", py("throughput.py", "--members", "500", "--rounds", "3", "--pg", pg,
                          "--json", str(out("throughput"))), 1800, out("throughput")),
        ("throughput_loaded", py("throughput.py", "--members", "500", "--rounds", "3",
                                 "--load", "2", "--pg", pg, "--json",
                                 str(out("throughput_loaded"))), 1800,
         out("throughput_loaded")),
        ("throughput_concurrent", py("throughput.py", "--members", "500", "--rounds", "3",
                                     "--concurrency", "8", "--pg", pg, "--json",
                                     str(out("throughput_concurrent"))), 1800,
         out("throughput_concurrent")),
    ]


async def one(name: str, command: list[str], timeout: float,
              figures: Path | None) -> dict[str, Any]:
    print(f"== {name}: {' '.join(command)}", flush=True)
    load_before, started = os.getloadavg()[0], time.monotonic()
    child = await asyncio.create_subprocess_exec(
        *command, cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    lines: list[str] = []

    async def relay() -> None:
        assert child.stdout is not None
        async for raw in child.stdout:
            line = raw.decode(errors="replace").rstrip()
            lines.append(line)
            del lines[:-TAIL]
            print(f"[{name}] {line}", flush=True)

    try:
        await asyncio.wait_for(asyncio.gather(relay(), child.wait()), timeout)
        status: int | str = child.returncode if child.returncode is not None else "?"
    except TimeoutError:
        child.kill()
        await child.wait()
        status = f"timed out after {timeout:.0f} s"
    result: dict[str, Any] = {
        "name": name, "command": command[1:], "exit_status": status,
        "ok": status == 0, "seconds": round(time.monotonic() - started, 1),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2), "output_tail": lines,
    }
    if figures is not None and figures.exists():
        result["figures"] = json.loads(figures.read_text())
    print(f"== {name}: {'ok' if result['ok'] else 'FAILED (' + str(status) + ')'} in "
          f"{result['seconds']:.0f} s", flush=True)
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="bench-full.json")
    parser.add_argument("--pg", default=os.environ.get(
        "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--only", nargs="*", help="run only these (names as in the summary)")
    args = parser.parse_args()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    with tempfile.TemporaryDirectory(prefix="bench-full-") as tmp:
        memory = not args.only or any(name.startswith("memory") for name in args.only)
        production = production_python(Path(tmp)) if memory else PY
        runs = [p for p in plan(args.pg, Path(tmp), production)
                if not args.only or p[0] in args.only]
        results = [await one(*p) for p in runs]
    summary = {"started": started, "finished": datetime.now(UTC).isoformat(timespec="seconds"),
               "cpu_count": os.cpu_count(), "python": sys.version.split()[0],
               "ok": all(r["ok"] for r in results), "benchmarks": results}
    Path(args.out).write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    print(f"summary written to {args.out}: "
          + ", ".join(f"{r['name']} {'ok' if r['ok'] else 'FAILED'}" for r in results))
    if not summary["ok"]:
        raise SystemExit(1)


if __name__ == "__main__":
    asyncio.run(main())
