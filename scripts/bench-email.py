#!/usr/bin/env python3
"""E-mail to subscribers at scale: every confirmed address gets exactly one message, across two
`townhall serve` nodes on one PostgreSQL database, even when one node is killed half way.

  1. a fresh database with SUBSCRIBERS confirmed addresses following one organisation's posts
     (as it happens) and 2,000 that never confirmed;
  2. a real SMTP server (aiosmtpd, tests/smtp_server.py) that keeps every message as a file;
  3. two `serve` nodes sending through it; an editor publishes one post through the API;
  4. once KILL_AT of the messages have arrived, node A is killed with SIGKILL; node B carries
     on (queueing is exactly once; a message node A had claimed waits for its lease);
  5. the SMTP server's folder is counted: each confirmed address once, none unconfirmed.

Usage: scripts/bench-email.py [--bin target/release/townhall]
                              [--database postgres://postgres@127.0.0.1:5432]
                              [--subscribers 20000] [--kill-at 0.5]

`--kill-at 0` runs without killing a node (the sending rate of two healthy nodes). Prints the
figures as a Markdown table row for BENCHMARKS.md; exit status 0 when every check passes.
"""

import argparse
import collections
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNCONFIRMED = 2000


def psql(server, db, sql):
    out = subprocess.run(["psql", "-qAt", f"{server}/{db}", "-c", sql], check=True,
                         capture_output=True, text=True)
    return out.stdout.strip()


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_smtp(folder):
    child = subprocess.Popen([sys.executable, os.path.join(REPO, "tests", "smtp_server.py"), folder],
                             stdout=subprocess.PIPE, text=True)
    line = child.stdout.readline()
    m = re.match(r"listening on (\d+)", line)
    if not m:
        sys.exit(f"the SMTP server did not start ({line!r}): `make pydeps` installs aiosmtpd")
    return child, f"smtp://127.0.0.1:{m.group(1)}"


def start_node(binary, env, smtp_url, workdir, name):
    port = free_port()
    log = open(os.path.join(workdir, f"{name}.log"), "w")
    child = subprocess.Popen(
        [binary, "serve", "--addr", f"127.0.0.1:{port}", "--public-url", f"http://127.0.0.1:{port}/",
         "--smtp-url", smtp_url, "--scheduler-interval-secs", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=log, cwd=workdir)
    deadline = time.time() + 60
    while time.time() < deadline:
        with open(log.name) as f:
            if "Townhall is serving" in f.read():
                return child, port
        if child.poll() is not None:
            sys.exit(f"node {name} exited: see {log.name}")
        time.sleep(0.1)
    sys.exit(f"node {name} did not start within 60 s")


def received(folder):
    return sum(1 for f in os.listdir(folder) if f.endswith(".eml"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(REPO, "target", "release", "townhall"))
    ap.add_argument("--database", default="postgres://postgres@127.0.0.1:5432")
    ap.add_argument("--subscribers", type=int, default=20000)
    ap.add_argument("--kill-at", type=float, default=0.5)
    args = ap.parse_args()
    if not os.path.exists(args.bin):
        subprocess.run(["cargo", "build", "--release", "-q"], cwd=REPO, check=True)

    n = args.subscribers
    db = f"townhall_bench_email_{os.getpid()}"
    psql(args.database, "postgres", f"CREATE DATABASE {db}")
    workdir = tempfile.mkdtemp(prefix="townhall-bench-email-")
    mail_dir = os.path.join(workdir, "mail")
    os.mkdir(mail_dir)
    children = []
    try:
        env = {**os.environ, "TOWNHALL_DATABASE": f"{args.database}/{db}", "RUST_LOG": "warn"}
        cli = lambda *a, input="": subprocess.run([args.bin, *a], env=env, cwd=workdir, input=input,
                                                  capture_output=True, text=True, check=True).stdout
        cli("migrate")
        cli("organisation", "add", "--name", "Department of Community Services")
        cli("user", "add", "--email", "editor@bench.example", "--name", "Bench Editor", "--role", "admin",
            input="a long bench passphrase\n")
        token = cli("token", "create", "--email", "editor@bench.example").strip().splitlines()[-1]
        now = int(time.time())
        psql(args.database, db, f"""
            INSERT INTO subscribers (email, confirmed_at, created_at)
              SELECT 'reader' || g || '@bench.example', {now}, {now} FROM generate_series(1, {n}) g;
            INSERT INTO subscribers (email, created_at)
              SELECT 'unconfirmed' || g || '@bench.example', {now} FROM generate_series(1, {UNCONFIRMED}) g;
            INSERT INTO subscriptions (subscriber_id, list, frequency, confirmed_at, created_at)
              SELECT id, 'organisation:1', 'immediately',
                     CASE WHEN confirmed_at IS NULL THEN NULL ELSE {now} END, {now} FROM subscribers;""")

        smtp, smtp_url = start_smtp(mail_dir)
        children.append(smtp)
        a, port_a = start_node(args.bin, env, smtp_url, workdir, "a")
        children.append(a)
        b, _ = start_node(args.bin, env, smtp_url, workdir, "b")
        children.append(b)

        body = json.dumps({"organisation": "department-of-community-services", "title": "Bin collections change in May",
                           "summary": "What changes, and when.", "body": "From May, bins are collected on Tuesdays.",
                           "status": "published"}).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{port_a}/api/v1/posts", data=body, method="POST",
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        published = time.time()
        with urllib.request.urlopen(req) as r:
            assert r.status == 201, r.status
        print(f"published a post to {n} confirmed subscribers (and {UNCONFIRMED} unconfirmed)", file=sys.stderr)

        first = killed = None
        killed_count = 0
        deadline = published + 900
        while time.time() < deadline:
            count = received(mail_dir)
            if count and first is None:
                first = time.time()
            if args.kill_at > 0 and killed is None and count >= n * args.kill_at:
                a.kill()
                a.wait()
                killed, killed_count = time.time(), count
                print(f"killed node A with SIGKILL after {count} messages", file=sys.stderr)
            if count >= n:
                waiting = int(psql(args.database, db,
                                   "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND gave_up_at IS NULL"))
                if waiting == 0:
                    break
            time.sleep(0.05)
        drained = time.time()

        per_address = collections.Counter()
        message_ids = set()
        for f in os.listdir(mail_dir):
            if not f.endswith(".eml"):
                continue
            with open(os.path.join(mail_dir, f), errors="replace") as fh:
                head = fh.read(4000).split("\r\n\r\n", 1)[0]
            to = re.search(r"^To: (.+)$", head, re.M).group(1).strip()
            per_address[to] += 1
            message_ids.add(re.search(r"^Message-ID: (.+)$", head, re.M | re.I).group(1).strip())
        total = sum(per_address.values())
        confirmed = [f"reader{i}@bench.example" for i in range(1, n + 1)]
        missing = [e for e in confirmed if per_address[e] == 0]
        twice = {e: c for e, c in per_address.items() if c > 1}
        unconfirmed = [e for e in per_address if e.startswith("unconfirmed")]
        sending = drained - first if first else float("nan")
        print(json.dumps({
            "subscribers": n, "received": total, "distinct_message_ids": len(message_ids),
            "missing": len(missing), "duplicated": twice, "to_unconfirmed": len(unconfirmed),
            "first_message_after_s": round(first - published, 2) if first else None,
            "killed_after": killed_count if killed else None,
            "drained_after_s": round(drained - published, 1),
            "messages_per_s_before_kill": round(killed_count / (killed - first)) if killed else None,
            "messages_per_s_overall": round(total / sending) if first else None,
        }, indent=2))
        kill = f"node A killed at {killed_count:,}" if killed else "no node killed"
        print(f"| {n:,} confirmed + {UNCONFIRMED:,} unconfirmed, 2 nodes, {kill} | {total:,} "
              f"({len(message_ids):,} distinct) | {len(missing)} | {sum(c - 1 for c in twice.values())} | "
              f"{len(unconfirmed)} | {round(total / sending) if first else '-'} /s | {drained - published:.1f} s |")
        ok = not missing and not unconfirmed and not twice and total == n
        return 0 if ok else 1
    finally:
        for c in children:
            if c.poll() is None:
                c.send_signal(signal.SIGTERM)
                try:
                    c.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    c.kill()
        psql(args.database, "postgres", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    # Stopped from outside, still stop the nodes and drop the database.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    sys.exit(main())
