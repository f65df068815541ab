"""Soak test (RELIABILITY.md row B40): build a mixed corpus into a store in two batches while
``kg serve`` answers a constant query load, and watch the server for leaks.

Documents are synthetic (``benchmarks/corpus.py``), with long and adversarial ones mixed in
(runs of ``!``, nested parentheses, snowmen, a very long paragraph). One thread sends cheap
queries back to back, another a runaway query now and then, which the server must kill at its
timeout. Every second the script prints the server's RSS (its own and its query workers'),
its open file descriptors, the latency of the cheap queries so far and the second build's RSS
(with its worker processes); at the end, p50/p99 latency, the RSS slopes after warm-up, FD
growth, the server's log of killed and crashed query workers against the runaway queries
sent, temp files left, and a verdict (exit 1 when a check fails).

    python benchmarks/soak.py 100000            # the full soak
    python benchmarks/soak.py --short           # about 20 s; the test suite runs this one
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.common import save_png
from benchmarks.corpus import synthetic

CHEAP = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 5"
MIN_SAMPLES = 60
"""Seconds of building needed before the build's RSS trend says anything (model loading
takes the first few)."""
KILL_LOG = "killed at the time limit"
CRASH_LOG = "died (exit code"
"""What ``kg serve`` logs to stderr for a worker it killed, and for one that died by itself."""
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f . ?g ?s ?h }"
ADVERSARIAL = (
    "Some word" + "!" * 100_000,
    "(" * 8000 + "x" + ")" * 8000,
    "http://example.org/" + "\u2603" * 13_200,
    ".".join(str(n) for n in range(400)),
    '"' * 8000,
)


def write_corpus(count: int, path: Path) -> int:
    """``count`` documents: synthetic news, one in 50 long, one in 25 adversarial."""
    with path.open("w", encoding="utf-8") as out:
        for i, record in enumerate(synthetic(count, seed=40)):
            if i % 50 == 7:
                record["text"] = "\n\n".join([record["text"]] * 40)
            elif i % 25 == 3:
                record["text"] = ADVERSARIAL[i % len(ADVERSARIAL)]
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return count


def build_command(jsonl: Path, store: Path, processes: int) -> list[str]:
    return [
        *(sys.executable, "-m", "kg", "build", str(jsonl), "--store", str(store), "-q"),
        *("--processes", str(processes)),
    ]


def build(jsonl: Path, store: Path, processes: int) -> float:
    started = time.monotonic()
    subprocess.run(build_command(jsonl, store, processes), check=True, stdin=subprocess.DEVNULL)
    return time.monotonic() - started


def start_server(store: Path, timeout: float, log: Path) -> tuple[subprocess.Popen[str], str]:
    """``kg serve`` on ``store``, its log (one line per killed or crashed worker) to ``log``."""
    with log.open("w") as stderr:
        server = subprocess.Popen(
            [
                *(sys.executable, "-m", "kg", "serve", str(store), "--port", "0"),
                *("--timeout", str(timeout)),
            ],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    assert server.stdout is not None
    line = server.stdout.readline()
    url = line.split(" at ", 1)[1].split(" ", 1)[0]
    return server, url


def family(pid: int) -> list[int]:
    """``pid`` and its children (the query workers)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return [pid, *map(int, children)]


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def fd_count(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


class Load:
    """Cheap queries back to back, runaway ones every few seconds; statuses and latencies."""

    def __init__(self, url: str, runaway_every: float) -> None:
        self.url = url + "sparql?"
        self.runaway_every = runaway_every
        self.latencies: list[float] = []
        self.answered: list[float] = []  # when each cheap query ended (time.monotonic)
        self.statuses: dict[str, int] = {}
        self.stop = threading.Event()

    def ask(self, query: str) -> tuple[int, float]:
        started = time.monotonic()
        request = self.url + urllib.parse.urlencode({"query": query})
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                reply.read()
                status = reply.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except OSError:
            status = 0
        return status, time.monotonic() - started

    def count(self, kind: str, status: int) -> None:
        key = f"{kind} {status}"
        self.statuses[key] = self.statuses.get(key, 0) + 1

    def cheap(self) -> None:
        while not self.stop.is_set():
            status, seconds = self.ask(CHEAP)
            self.count("cheap", status)
            self.latencies.append(seconds)
            self.answered.append(time.monotonic())

    def runaway(self) -> None:
        while not self.stop.wait(self.runaway_every):
            status, _ = self.ask(RUNAWAY)
            self.count("runaway", status)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def soak(
    count: int, seconds: float, timeout: float, processes: int, folder: Path, plot: Path | None
) -> bool:
    jsonl_a, jsonl_b = folder / "first.jsonl", folder / "second.jsonl"
    write_corpus(count // 2, jsonl_a)
    write_corpus(count, jsonl_b)  # the first half again (unchanged) and as many new
    store = folder / "store"
    print(f"soak: building {count // 2} documents", flush=True)
    print(f"soak: first batch built in {build(jsonl_a, store, processes):.1f} s", flush=True)
    server_log = folder / "server.log"
    server, url = start_server(store, timeout, server_log)
    load = Load(url, runaway_every=max(timeout * 2, 2.0))
    threads = [threading.Thread(target=load.cheap), threading.Thread(target=load.runaway)]
    for thread in threads:
        thread.start()
    print(f"soak: building {count} documents ({count // 2} unchanged) while serving", flush=True)
    builder = subprocess.Popen(build_command(jsonl_b, store, processes), stdin=subprocess.DEVNULL)
    samples: list[Sample] = []
    started = time.monotonic()
    try:
        while time.monotonic() - started < seconds or builder.poll() is None:
            time.sleep(1.0)
            building = builder.poll() is None
            sample = Sample(
                elapsed=time.monotonic() - started,
                server_rss=rss_mb(family(server.pid)),
                server_fds=fd_count(server.pid),
                builder_rss=rss_mb(family(builder.pid)) if building else None,
            )
            samples.append(sample)
            p99 = percentile(load.latencies, 0.99) * 1000
            built = f"  build rss {sample.builder_rss:7.1f} MB" if building else ""
            print(
                f"soak: {sample.elapsed:6.1f} s  rss {sample.server_rss:7.1f} MB  "
                f"fds {sample.server_fds:4d}  queries {len(load.latencies):6d}  "
                f"p99 {p99:7.1f} ms{built}",
                flush=True,
            )
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=60)
        built_ok = builder.wait() == 0
        alive = server.poll() is None
        end_fds = settled_fds(server.pid, url) if alive else -1
        server.terminate()
        server.wait(timeout=30)
    baseline = fresh_server_fds(store, timeout, folder / "fresh.log")
    log = server_log.read_text()
    if plot is not None:
        draw(samples, load, started, plot)
    return report(load, samples, alive and built_ok, store, log, (end_fds, baseline))


def draw(samples: list[Sample], load: Load, started: float, path: Path) -> None:
    """The run as a picture: RSS of the server and of the build, the server's descriptors
    and every cheap query's latency, against the seconds under load."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 8), layout="constrained")
    figure.suptitle(f"soak: {len(load.latencies):,} cheap queries", x=0.01, ha="left")
    rss, fds, latency = figure.subplots(3, 1, sharex=True)
    elapsed = [s.elapsed for s in samples]
    rss.plot(elapsed, [s.server_rss for s in samples], label="server and its query workers")
    building = [(s.elapsed, s.builder_rss) for s in samples if s.builder_rss is not None]
    if building:
        rss.plot(*zip(*building, strict=True), label="build and its workers")
    rss.set_ylabel("RSS (MB)")
    rss.legend(loc="lower right")
    fds.plot(elapsed, [s.server_fds for s in samples])
    fds.set_ylabel("server descriptors")
    ends = [end - started for end in load.answered]
    latency.scatter(ends, [1000 * t for t in load.latencies], s=1, alpha=0.4)
    latency.set_yscale("log")
    latency.set_ylabel("cheap query (ms)")
    latency.set_xlabel("seconds under load")
    save_png(figure, path)


def settled_fds(pid: int, url: str) -> int:
    """The server's open descriptors once the load has stopped: after one more query, which
    moves it to the last build's snapshot, and a moment for queries still running on the
    previous one to end and let it go (a sample taken just as the build publishes counts
    both snapshots)."""
    Load(url, runaway_every=0).ask(CHEAP)
    time.sleep(1.0)
    return fd_count(pid)


def fresh_server_fds(store: Path, timeout: float, log: Path) -> int:
    """The open file descriptors of a new server on the finished store after one query: what
    the soaked server should hold once it has moved to the last build's snapshot."""
    server, url = start_server(store, timeout, log)
    try:
        Load(url, runaway_every=0).ask(CHEAP)
        return fd_count(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)


@dataclass(frozen=True, slots=True)
class Sample:
    elapsed: float
    server_rss: float
    server_fds: int
    builder_rss: float | None


def warm_slope(points: list[tuple[float, float]]) -> float:
    """MB per second over the last two thirds of ``points`` (the first third warms up)."""
    warm = points[len(points) // 3 :] or points
    if len(warm) < 2:
        return 0.0
    return statistics.linear_regression([p[0] for p in warm], [p[1] for p in warm]).slope


def growth(values: list[float]) -> float:
    """How much the second half of ``values`` averages above the first half (0.1: 10%)."""
    half = len(values) // 2
    if half == 0:
        return 0.0
    return statistics.fmean(values[half:]) / statistics.fmean(values[:half]) - 1


def report(
    load: Load, samples: list[Sample], alive: bool, store: Path, log: str, fds_end: tuple[int, int]
) -> bool:
    server_slope = warm_slope([(s.elapsed, s.server_rss) for s in samples])
    building = [(s.elapsed, s.builder_rss) for s in samples if s.builder_rss is not None]
    builder_slope = warm_slope(building)
    warm_build = [rss for _, rss in building[len(building) // 3 :]] or [0.0]
    warm_server = [s.server_rss for s in samples[len(samples) // 3 :]] or [0.0]
    fds = [s.server_fds for s in samples[len(samples) // 3 :] or samples]
    end_fds, baseline_fds = fds_end
    temps = [p.name for p in store.rglob("*.tmp")]
    p50, p99 = percentile(load.latencies, 0.5), percentile(load.latencies, 0.99)
    runaways = load.statuses.get("runaway 503", 0)
    kills = log.count(KILL_LOG)
    crashes = log.count(CRASH_LOG)
    checks = {
        "server alive and build finished": alive,
        "cheap queries all 200": set(k for k in load.statuses if k.startswith("cheap"))
        == {"cheap 200"},
        "runaway queries all 503": set(k for k in load.statuses if k.startswith("runaway"))
        == {"runaway 503"},
        "p99 under 1 s": p99 < 1.0,
        "server fds at the end as a fresh server's (no leak)": 0 <= end_fds <= baseline_fds + 8,
        "every worker kill logged for a runaway query": kills == runaways,
        "no worker crash": crashes == 0,
        "no temp files": not temps,
    }
    if len(building) >= MIN_SAMPLES:
        checks["build rss flat after warm-up (growth <= 10%)"] = growth(warm_build) <= 0.10
        checks["server rss flat after warm-up (growth <= 10%)"] = growth(warm_server) <= 0.10
    else:
        print(f"soak: build too short ({len(building)} s) to judge memory trends")
    print(f"soak: statuses {load.statuses}")
    print(f"soak: latency p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")
    print(
        f"soak: server rss slope after warm-up {server_slope:+.3f} MB/s; "
        f"fds {min(fds)}..{max(fds)}, {end_fds} at the end, {baseline_fds} in a fresh server"
    )
    print(
        f"soak: build rss after warm-up {min(warm_build):.0f}..{max(warm_build):.0f} MB, "
        f"slope {builder_slope:+.3f} MB/s, growth {growth(warm_build):+.1%}; "
        f"server growth {growth(warm_server):+.1%}"
    )
    print(f"soak: server log: {kills} workers killed at the time limit, {crashes} crashed")
    for name, ok in checks.items():
        print(f"soak: {'ok  ' if ok else 'FAIL'} {name}")
    return all(checks.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("documents", type=int, nargs="?", default=20_000)
    parser.add_argument("--seconds", type=float, default=600.0, help="least time under load")
    parser.add_argument("--timeout", type=float, default=2.0, help="the server's query limit")
    parser.add_argument("--processes", type=int, default=1, help="kg build --processes")
    parser.add_argument("--short", action="store_true", help="24 documents, 8 s of load")
    parser.add_argument("--plot", type=Path, help="draw the run into this PNG file")
    args = parser.parse_args()
    if args.short:
        args.documents, args.seconds, args.timeout = 24, 8.0, 1.0
    with tempfile.TemporaryDirectory(prefix="kg-soak-") as folder:
        ok = soak(
            args.documents, args.seconds, args.timeout, args.processes, Path(folder), args.plot
        )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
