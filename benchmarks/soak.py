"""Soak test (RELIABILITY.md row B40): build a mixed corpus into a store in two batches while
``kg serve`` answers a constant query load, and watch the server for leaks.

Documents are synthetic (``benchmarks/corpus.py``), with long and adversarial ones mixed in
(runs of ``!``, nested parentheses, snowmen, a very long paragraph). One thread sends cheap
queries back to back, another a runaway query now and then, which the server must kill at its
timeout. Every second the script prints the server's RSS (its own and its query workers'),
its open file descriptors and the latency of the cheap queries so far; at the end, p50/p99
latency, the RSS slope after warm-up, FD growth, temp files left, and a verdict (exit 1 when
a check fails).

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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.corpus import synthetic

CHEAP = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 5"
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


def build(jsonl: Path, store: Path) -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "kg", "build", str(jsonl), "--store", str(store), "-q"],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return time.monotonic() - started


def start_server(store: Path, timeout: float) -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "kg", "serve", str(store), "--port", "0", "--timeout", str(timeout)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
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

    def runaway(self) -> None:
        while not self.stop.wait(self.runaway_every):
            status, _ = self.ask(RUNAWAY)
            self.count("runaway", status)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def soak(count: int, seconds: float, timeout: float, folder: Path) -> bool:
    jsonl_a, jsonl_b = folder / "first.jsonl", folder / "second.jsonl"
    write_corpus(count // 2, jsonl_a)
    write_corpus(count, jsonl_b)  # the first half again (unchanged) and as many new
    store = folder / "store"
    print(f"soak: building {count // 2} documents", flush=True)
    print(f"soak: first batch built in {build(jsonl_a, store):.1f} s", flush=True)
    server, url = start_server(store, timeout)
    load = Load(url, runaway_every=max(timeout * 2, 2.0))
    threads = [threading.Thread(target=load.cheap), threading.Thread(target=load.runaway)]
    for thread in threads:
        thread.start()
    second = threading.Thread(target=build, args=(jsonl_b, store))
    second.start()  # a writer while the endpoint serves
    samples: list[tuple[float, float, int]] = []
    started = time.monotonic()
    try:
        while time.monotonic() - started < seconds or second.is_alive():
            time.sleep(1.0)
            elapsed = time.monotonic() - started
            sample = (elapsed, rss_mb(family(server.pid)), fd_count(server.pid))
            samples.append(sample)
            p99 = percentile(load.latencies, 0.99) * 1000
            print(
                f"soak: {elapsed:6.1f} s  rss {sample[1]:7.1f} MB  fds {sample[2]:4d}  "
                f"queries {len(load.latencies):6d}  p99 {p99:7.1f} ms",
                flush=True,
            )
    finally:
        load.stop.set()
        for thread in threads:
            thread.join(timeout=60)
        second.join()
        alive = server.poll() is None
        server.terminate()
        server.wait(timeout=30)
    return report(load, samples, alive, store)


def report(load: Load, samples: list[tuple[float, float, int]], alive: bool, store: Path) -> bool:
    warm = samples[len(samples) // 3 :] or samples
    slope = statistics.linear_regression([s[0] for s in warm], [s[1] for s in warm]).slope
    fds = [s[2] for s in warm]
    temps = [p.name for p in store.rglob("*.tmp")]
    p50, p99 = percentile(load.latencies, 0.5), percentile(load.latencies, 0.99)
    checks = {
        "server alive": alive,
        "cheap queries all 200": set(k for k in load.statuses if k.startswith("cheap"))
        == {"cheap 200"},
        "runaway queries all 503": set(k for k in load.statuses if k.startswith("runaway"))
        == {"runaway 503"},
        "p99 under 1 s": p99 < 1.0,
        "fd count flat": max(fds) - min(fds) <= 8,
        "no temp files": not temps,
    }
    print(f"soak: statuses {load.statuses}")
    print(f"soak: latency p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms")
    print(f"soak: rss slope after warm-up {slope:+.2f} MB/s; fds {min(fds)}..{max(fds)}")
    for name, ok in checks.items():
        print(f"soak: {'ok  ' if ok else 'FAIL'} {name}")
    return all(checks.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("documents", type=int, nargs="?", default=20_000)
    parser.add_argument("--seconds", type=float, default=600.0, help="least time under load")
    parser.add_argument("--timeout", type=float, default=2.0, help="the server's query limit")
    parser.add_argument("--short", action="store_true", help="24 documents, 8 s of load")
    args = parser.parse_args()
    if args.short:
        args.documents, args.seconds, args.timeout = 24, 8.0, 1.0
    with tempfile.TemporaryDirectory(prefix="kg-soak-") as folder:
        ok = soak(args.documents, args.seconds, args.timeout, Path(folder))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
