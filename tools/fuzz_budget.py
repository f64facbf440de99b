#!/usr/bin/env python3
"""Run the cargo-fuzz targets and keep a ledger of the CPU time each has had.

    tools/fuzz_budget.py run [--seconds N] [--jobs J] [--rounds R] [TARGET ...]
    tools/fuzz_budget.py table

`run` runs each target for N seconds of wall time (libFuzzer's -max_total_time), J at a time,
at nice 19 so that it only takes idle CPU, and appends one line per run to fuzz/budget.tsv:
date, target, sanitizer, wall s, CPU s (user+sys of the fuzzer), runs, exec/s, corpus size,
findings (0, or the crash artifact's name). `table` sums the ledger per target.

Targets that go through the C ABI (unsafe code) run under AddressSanitizer; the rtmp-core
targets (#![forbid(unsafe_code)] underneath) run with -s none, where they are 10-100x faster.
Nightly is needed (cargo +nightly fuzz); the ledger and the corpora are committed.
"""
import argparse
import datetime
import os
import re
import subprocess
import sys
import threading

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FUZZ = os.path.join(TOP, "fuzz")
LEDGER = os.path.join(FUZZ, "budget.tsv")
COLUMNS = ["date", "target", "sanitizer", "wall_s", "cpu_s", "runs", "exec_per_s", "corpus", "findings"]

# Targets whose code under test is safe Rust only.
SAFE = {"auth", "chunk_reader", "session", "rtmpe_handshake"}


def targets():
    with open(os.path.join(FUZZ, "Cargo.toml")) as f:
        names = re.findall(r'^name = "([^"]+)"', f.read(), re.M)
    return [n for n in names if n != "librtmp-rs-fuzz"]


def sanitizer(target):
    return "none" if target in SAFE else "address"


lock = threading.Lock()


def run_one(target, seconds):
    corpus = os.path.join(FUZZ, "corpus", target)
    os.makedirs(corpus, exist_ok=True)
    artifacts = os.path.join(FUZZ, "artifacts", target) + "/"
    os.makedirs(artifacts, exist_ok=True)
    cmd = ["nice", "-n", "19", "cargo", "+nightly", "fuzz", "run", "-s", sanitizer(target), target, corpus,
           "--", f"-max_total_time={seconds}", "-print_final_stats=1", f"-artifact_prefix={artifacts}",
           "-rss_limit_mb=4096", "-timeout=20"]
    os.makedirs(os.path.join(FUZZ, "target"), exist_ok=True)
    before = os.listdir(artifacts)
    timing = os.path.join(FUZZ, "target", f"time-{target}.txt")
    # /usr/bin/time reports the user+sys time of cargo and the fuzzer it waits for.
    cmd = ["/usr/bin/time", "-f", "%U %S", "-o", timing] + cmd
    start = datetime.datetime.now(datetime.timezone.utc)
    proc = subprocess.Popen(cmd, cwd=TOP, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out, _ = proc.communicate()
    wall = (datetime.datetime.now(datetime.timezone.utc) - start).total_seconds()
    runs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", out)
    eps = re.findall(r"stat::average_exec_per_sec:\s*(\d+)", out)
    new = sorted(set(os.listdir(artifacts)) - set(before))
    finding = ",".join(new) if new else ("0" if proc.returncode == 0 else f"exit{proc.returncode}")
    with open(os.path.join(FUZZ, "target", f"last-{target}.log"), "w") as f:
        f.write(out)
    with open(timing) as f:
        user, system = f.read().split()[-2:]
    cpu = float(user) + float(system)
    return start, wall, cpu, int(runs[-1]) if runs else 0, int(eps[-1]) if eps else 0, len(os.listdir(corpus)), finding


def cmd_run(args):
    names = args.targets or targets()
    subprocess.run(["nice", "-n", "19", "cargo", "+nightly", "fuzz", "build", "-O"], cwd=TOP, check=True)
    subprocess.run(["nice", "-n", "19", "cargo", "+nightly", "fuzz", "build", "-O", "-s", "none"], cwd=TOP, check=True)
    queue = [t for _ in range(args.rounds) for t in names]

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                target = queue.pop(0)
            start, wall, cpu, runs, eps, corpus, finding = run_one(target, args.seconds)
            line = [start.strftime("%Y-%m-%dT%H:%M:%SZ"), target, sanitizer(target), f"{wall:.0f}",
                    f"{cpu:.0f}", str(runs), str(eps), str(corpus), finding]
            with lock:
                new = not os.path.exists(LEDGER)
                with open(LEDGER, "a") as f:
                    if new:
                        f.write("\t".join(COLUMNS) + "\n")
                    f.write("\t".join(line) + "\n")
                print("\t".join(line), flush=True)

    threads = [threading.Thread(target=worker) for _ in range(args.jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def cmd_table(_args):
    totals = {}
    with open(LEDGER) as f:
        rows = [dict(zip(COLUMNS, line.rstrip("\n").split("\t"))) for line in f.readlines()[1:]]
    for r in rows:
        t = totals.setdefault(r["target"], {"cpu": 0.0, "wall": 0.0, "runs": 0, "eps": [], "find": [], "n": 0})
        t["cpu"] += float(r["cpu_s"])
        t["wall"] += float(r["wall_s"])
        t["runs"] += int(r["runs"])
        t["eps"].append(int(r["exec_per_s"]))
        t["n"] += 1
        if r["findings"] != "0":
            t["find"].append(r["findings"])
    print(f"{'target':16} {'runs':>5} {'CPU h':>6} {'wall h':>6} {'executions':>13} {'exec/s':>8}  findings")
    for name in targets():
        t = totals.get(name)
        if not t:
            print(f"{name:16} {0:>5} {0:>6.2f} {0:>6.2f} {0:>13} {'-':>8}  -")
            continue
        eps = sorted(t["eps"])[len(t["eps"]) // 2]
        print(f"{name:16} {t['n']:>5} {t['cpu'] / 3600:>6.2f} {t['wall'] / 3600:>6.2f} {t['runs']:>13,} {eps:>8,}  "
              f"{', '.join(t['find']) or 'none'}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--seconds", type=int, default=600)
    r.add_argument("--jobs", type=int, default=1)
    r.add_argument("--rounds", type=int, default=1)
    r.add_argument("targets", nargs="*")
    sub.add_parser("table")
    args = p.parse_args()
    {"run": cmd_run, "table": cmd_table}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
