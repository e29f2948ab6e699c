#!/usr/bin/env python3
"""Responses are stored exactly once, and an acknowledged response survives a crash.

Runs the real `townhall serve` against a fresh database and posts N responses over HTTP at
concurrency C, each with its own Idempotency-Key:

  run 1  every response is acknowledged; the database then holds exactly N, each once, and
         the throughput (acknowledged responses per second) is reported;
  run 2  the server is killed with SIGKILL part-way; it is started again; every response that
         was acknowledged before the kill is there; the ones that were not are sent again
         with the same keys, and the database ends with exactly N, each once.

Usage: scripts/response-durability.py [--bin target/debug/townhall] [--database URL]
                                      [--count 2000] [--concurrency 32] [--runs both|speed|kill|wrk]

`--runs wrk [--seconds 10]` measures throughput with wrk instead (BENCHMARKS.md), then checks
that every response wrk saw acknowledged is stored.
`--database postgres://user@host/db` makes (and afterwards drops) fresh databases on that
PostgreSQL server; the default is a SQLite file in a temporary directory. Exit status 0 when every check passes.
"""

import argparse
import concurrent.futures
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

SLUG = "durability"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(bin_path, *args, stdin=None, env=None):
    out = subprocess.run([bin_path, *args], input=stdin, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"townhall {' '.join(args)} failed: {out.stderr.strip()}")
    return out.stdout


class Server:
    def __init__(self, bin_path, database, port):
        self.bin, self.database, self.port = bin_path, database, port
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [self.bin, "serve", "--database", self.database, "--addr", f"127.0.0.1:{self.port}",
             "--responses-per-address", "0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                status, _ = request(self.port, "GET", "/healthz")
                if status == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                sys.exit(f"the server exited: {self.proc.stderr.read()}")
            time.sleep(0.1)
        sys.exit("the server did not answer /healthz within 60 seconds")

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)


_local = threading.local()


def request(port, method, path, body=None, headers=None, timeout=30):
    """One HTTP request on this thread's keep-alive connection; raises OSError on failure."""
    conn = getattr(_local, "conn", None)
    if conn is None or getattr(_local, "port", None) != port:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        _local.conn, _local.port = conn, port
    data = json.dumps(body).encode() if body is not None else None
    h = {"content-type": "application/json"} if data else {}
    h.update(headers or {})
    try:
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        return r.status, r.read()
    except (OSError, http.client.HTTPException) as e:
        conn.close()
        _local.conn = None
        raise OSError(str(e)) from e


def prepare(bin_path, database):
    env = dict(os.environ, TOWNHALL_DATABASE=database)
    run(bin_path, "migrate", env=env)
    run(bin_path, "organisation", "add", "--name", "Durability Department", "--slug", "durability-department", env=env)
    run(bin_path, "user", "add", "--email", "admin@durability.example", "--name", "Admin", "--role", "admin",
        stdin="a long enough password\n", env=env)
    return run(bin_path, "token", "create", "--email", "admin@durability.example", env=env).strip().split()[-1]


def create_exercise(port, token):
    definition = {
        "organisation": "durability-department", "slug": SLUG, "title": "Durability",
        "opens_at": "2020-01-01", "closes_at": "2099-01-01",
        "questions": [{"id": "q1", "type": "text", "title": "Anything to add?", "required": True},
                      {"id": "q2", "type": "scale", "title": "How much?", "min": 1, "max": 5}],
    }
    status, body = request(port, "POST", "/api/v1/consultations", definition, {"authorization": f"Bearer {token}"})
    if status != 201:
        sys.exit(f"cannot create the exercise: {status} {body[:300]}")


def send(port, i):
    """Posts response i; returns its reference when acknowledged, else None."""
    body = {"answers": {"q1": f"response {i}: the same text is stored exactly once 🙂", "q2": 1 + i % 5}}
    try:
        status, raw = request(port, "POST", f"/api/v1/consultations/{SLUG}/responses", body,
                              {"idempotency-key": f"key-{i}"})
    except OSError:
        return None
    if status in (200, 201):
        return json.loads(raw)["reference"]
    return None


def stored(port, token):
    status, raw = request(port, "GET", f"/api/v1/consultations/{SLUG}/responses", headers={"authorization": f"Bearer {token}"})
    if status != 200:
        sys.exit(f"cannot read the responses back: {status}")
    return [json.loads(line) for line in raw.decode().splitlines() if line]


def check_once(rows, count):
    texts = [r["answers"]["q1"] for r in rows]
    refs = [r["reference"] for r in rows]
    assert len(rows) == count, f"expected {count} responses, found {len(rows)}"
    assert len(set(texts)) == count, "a response was stored twice"
    assert len(set(refs)) == count, "two responses share a reference"


def fresh_database(url, tmp, name):
    """A new, empty database: a SQLite file in `tmp`, or a PostgreSQL database created on the
    server that `url` names (and dropped at exit)."""
    if url.startswith("postgres"):
        db = f"townhall_durability_{name}_{os.getpid()}"
        subprocess.run(["psql", url, "-q", "-c", f"CREATE DATABASE {db}"], check=True, capture_output=True)
        _created.append((url, db))
        return url.rsplit("/", 1)[0] + "/" + db
    return f"sqlite://{os.path.join(tmp, name + '.db')}"


_created = []


def drop_databases():
    for url, db in _created:
        subprocess.run(["psql", url, "-q", "-c", f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"], capture_output=True)


def speed_run(args, tmp):
    database = fresh_database(args.database, tmp, "speed")
    token = prepare(args.bin, database)
    server = Server(args.bin, database, free_port())
    server.start()
    try:
        create_exercise(server.port, token)
        started = time.perf_counter()
        with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
            refs = list(pool.map(lambda i: send(server.port, i), range(args.count)))
        elapsed = time.perf_counter() - started
        acknowledged = [r for r in refs if r]
        assert len(acknowledged) == args.count, f"only {len(acknowledged)} of {args.count} were acknowledged"
        # Send every response again: nothing new may be stored.
        with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
            again = list(pool.map(lambda i: send(server.port, i), range(args.count)))
        assert again == refs, "a resent response got a different reference"
        rows = stored(server.port, token)
        check_once(rows, args.count)
        assert set(r["reference"] for r in rows) == set(refs)
        return {"responses": args.count, "concurrency": args.concurrency, "seconds": round(elapsed, 3),
                "acknowledged_per_second": round(args.count / elapsed, 1)}
    finally:
        server.stop()


def kill_run(args, tmp):
    database = fresh_database(args.database, tmp, "kill")
    token = prepare(args.bin, database)
    server = Server(args.bin, database, free_port())
    server.start()
    create_exercise(server.port, token)
    acknowledged = {}
    lock = threading.Lock()
    kill_at = args.count // 2

    def worker(i):
        ref = send(server.port, i)
        if ref:
            with lock:
                acknowledged[i] = ref
                if len(acknowledged) == kill_at:
                    server.kill()
        return ref

    with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
        list(pool.map(worker, range(args.count)))
    before_kill = dict(acknowledged)
    server.start()
    try:
        rows = stored(server.port, token)
        present = {r["reference"] for r in rows}
        missing = [i for i, ref in before_kill.items() if ref not in present]
        assert not missing, f"{len(missing)} acknowledged responses were lost, e.g. {missing[:5]}"
        # Send everything again with the same keys: the rest is stored, nothing twice.
        with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
            refs = list(pool.map(lambda i: send(server.port, i), range(args.count)))
        assert all(refs), "a resent response was refused"
        assert all(refs[i] == ref for i, ref in before_kill.items()), "a resent response got a new reference"
        check_once(stored(server.port, token), args.count)
        return {"acknowledged_before_kill": len(before_kill), "stored_after_restart": len(rows),
                "lost": 0, "after_resending": args.count}
    finally:
        server.stop()


WRK_SCRIPT = """
counter = 0
local thread_id = nil
setup = function(thread)
  thread:set("tid", math.random(1, 1000000000))
end
request = function()
  counter = counter + 1
  local body = '{"answers":{"q1":"response ' .. counter .. ' from ' .. tid .. '","q2":3}}'
  return wrk.format("POST", "/api/v1/consultations/%s/responses",
    {["Content-Type"] = "application/json", ["Idempotency-Key"] = tid .. "-" .. counter}, body)
end
"""


def wrk_run(args, tmp):
    """Throughput measured by wrk (a C load generator) rather than this script's threads;
    afterwards every acknowledged response must be in the database."""
    database = fresh_database(args.database, tmp, "wrk")
    token = prepare(args.bin, database)
    server = Server(args.bin, database, free_port())
    server.start()
    try:
        create_exercise(server.port, token)
        script = os.path.join(tmp, "responses.lua")
        with open(script, "w") as f:
            f.write(WRK_SCRIPT % SLUG)
        out = subprocess.run(["wrk", "-t2", f"-c{args.concurrency}", f"-d{args.seconds}s", "--latency", "-s", script,
                              f"http://127.0.0.1:{server.port}"], capture_output=True, text=True, check=True).stdout
        requests = int(out.split(" requests in ")[0].split()[-1])
        errors = 0
        for line in out.splitlines():
            if "Non-2xx or 3xx responses" in line:
                errors = int(line.split(":")[1])
        rows = stored(server.port, token)
        assert len(rows) >= requests - errors, f"{requests - errors} acknowledged but {len(rows)} stored"
        p99 = [l.split()[1] for l in out.splitlines() if l.strip().startswith("99%")][0]
        p50 = [l.split()[1] for l in out.splitlines() if l.strip().startswith("50%")][0]
        rps = float([l for l in out.splitlines() if l.startswith("Requests/sec")][0].split()[1])
        return {"seconds": args.seconds, "concurrency": args.concurrency, "acknowledged": requests - errors,
                "errors": errors, "stored": len(rows), "acknowledged_per_second": rps, "p50": p50, "p99": p99}
    finally:
        server.stop()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bin", default="target/debug/townhall")
    p.add_argument("--database", default="sqlite")
    p.add_argument("--count", type=int, default=2000)
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--runs", choices=["both", "speed", "kill", "wrk"], default="both")
    p.add_argument("--seconds", type=int, default=10, help="length of the wrk run")
    args = p.parse_args()
    engine = "postgres" if args.database.startswith("postgres") else "sqlite"
    with tempfile.TemporaryDirectory(prefix="townhall-durability-") as tmp:
        result = {"engine": engine}
        if args.runs in ("both", "speed"):
            result["speed"] = speed_run(args, tmp)
        if args.runs in ("both", "kill"):
            result["kill"] = kill_run(args, tmp)
        if args.runs == "wrk":
            result["wrk"] = wrk_run(args, tmp)
    print(json.dumps(result))


if __name__ == "__main__":
    try:
        main()
    except AssertionError as e:
        sys.exit(f"FAILED: {e}")
    finally:
        drop_databases()
