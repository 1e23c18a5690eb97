#!/usr/bin/python3
"""status_client.py - the daemon half of tests/bench/status_bench.sh (standard library only).

  status_client.py run --port P --ca CA --cert CRT --key KEY --period 2026-Q3 [--page-size 1000]
                       [--runs 30] [--warmup 3] [--as-at RFC3339] [--expect-projects N] --out FILE.json
      Sends GetStatus (Request field 40) over one mutual-TLS planreg/1 connection, one request at a
      time, and times each from the first byte sent to the last byte of its response frame.
      Every response must be OK, answer the request's id, and carry a GetStatusResponse; with
      --expect-projects, its totals must count that many projects. Writes the timings as JSON.

  status_client.py table --pgbench-log FILE... --pgbench-out FILE --daemon FILE.json [--daemon-log LOG]
                         [--sql-log PGLOG]
      Prints the raw-SQL (pgbench) and daemon figures side by side; with the daemon's log, also
      the time the daemon itself logged for each request (us=, from reading it to writing the answer);
      with PostgreSQL's log of the daemon's statements, the part of that spent in PostgreSQL.

The frame codec and the protobuf wire helpers are tests/integration/wire.py's.
"""

import argparse
import json
import os
import re
import socket
import ssl
import struct
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # leave no __pycache__ in tests/integration
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import wire  # noqa: E402

GET_STATUS = 40  # Request.get_status / Response.get_status


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list (p in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, -(-len(sorted_values) * p // 100))  # ceil(n * p / 100)
    return sorted_values[int(min(rank, len(sorted_values))) - 1]


def summary(ms):
    s = sorted(ms)
    return {
        "n": len(s),
        "mean": sum(s) / len(s) if s else float("nan"),
        "p50": percentile(s, 50),
        "p95": percentile(s, 95),
        "p99": percentile(s, 99),
        "max": s[-1] if s else float("nan"),
        "min": s[0] if s else float("nan"),
    }


# ---------------------------------------------------------------- GetStatus over TLS

def get_status_request(req_id, period, page_size, as_at=None):
    body = wire.pb_bytes(1, period) + wire.pb_varint(8, page_size)
    if as_at:
        body += wire.pb_bytes(2, wire.pb_bytes(1, as_at))  # Timestamp{rfc3339}
    return wire.request(req_id, GET_STATUS, body)


def recv_frame(sock, pending, quickack=False):
    """Reads one length-prefixed frame; returns (payload, leftover bytes). quickack: acknowledge
    every segment at once (Linux TCP_QUICKACK, re-armed before each read), a diagnostic that
    hides the server's Nagle + delayed-ACK stall."""
    buf = pending

    def recv(n):
        if quickack:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        return sock.recv(n)

    while len(buf) < 4:
        chunk = recv(65536)
        if not chunk:
            raise SystemExit("status_client: the daemon closed the connection")
        buf += chunk
    n = struct.unpack(">I", buf[:4])[0]
    need = 4 + n
    parts = [buf]
    have = len(buf)
    while have < need:
        chunk = recv(max(65536, need - have))
        if not chunk:
            raise SystemExit("status_client: the daemon closed the connection inside a %d-byte frame" % n)
        parts.append(chunk)
        have += len(chunk)
    buf = b"".join(parts)
    return buf[4:need], buf[need:]


def check_response(resp, req_id, expect_projects):
    if resp.id != req_id:
        raise SystemExit("status_client: response id %d for request %d" % (resp.id, req_id))
    if resp.code != wire.OK:
        raise SystemExit("status_client: GetStatus failed: code=%d reason=%r message=%r"
                         % (resp.code, resp.reason, resp.message))
    if resp.body_field != GET_STATUS:
        raise SystemExit("status_client: expected a GetStatusResponse (field 40), got %r" % resp.body_field)
    page = len(resp.body.get(4, []))
    totals = wire.pb_decode(wire.first(resp.body, 5, b""))
    total = wire.first(totals, 1, 0)
    if expect_projects is not None and total != expect_projects:
        raise SystemExit("status_client: totals.projects is %d, expected %d" % (total, expect_projects))
    return page, total, wire.first(resp.body, 6, b"").decode()


def cmd_run(a):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(a.ca)
    ctx.load_cert_chain(a.cert, a.key)
    ctx.set_alpn_protocols(["planreg/1"])
    w = wire.Wire(a.port, ctx, timeout=a.timeout)
    sock = w.sock
    pending = b""
    times = []
    sizes = []
    page = total = 0
    token = ""
    try:
        for i in range(1, a.warmup + a.runs + 1):
            msg = wire.frame(get_status_request(i, a.period, a.page_size, a.as_at))
            t0 = time.perf_counter()
            sock.sendall(msg)
            payload, pending = recv_frame(sock, pending, a.quickack)
            t1 = time.perf_counter()
            page, total, token = check_response(wire.Response(payload), i, a.expect_projects)
            if i > a.warmup:
                times.append((t1 - t0) * 1000.0)
                sizes.append(len(payload) + 4)
    finally:
        w.close()
    out = {
        "requests": len(times),
        "warmup": a.warmup,
        "period": a.period,
        "page_size": a.page_size,
        "page_projects": page,
        "total_projects": total,
        "more_pages": bool(token),
        "response_bytes": max(sizes) if sizes else 0,
        "quickack": a.quickack,
        "latency_ms": summary(times),
        "samples_ms": times,
    }
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)
    print("status_client: %d GetStatus requests, %d of %d projects per page, %d-byte response"
          % (len(times), page, total, out["response_bytes"]))


# ---------------------------------------------------------------- the table

def pgbench_latencies(paths):
    """Per-transaction latencies (ms) from pgbench -l logs: the third field is microseconds."""
    ms = []
    for path in paths:
        with open(path) as f:
            for line in f:
                fields = line.split()
                if len(fields) >= 3:
                    ms.append(int(fields[2]) / 1000.0)
    return ms


def pgbench_average(path):
    with open(path) as f:
        for line in f:
            if line.startswith("latency average"):
                return float(line.split("=")[1].split()[0])
    return float("nan")


def daemon_log_ms(path, method="GetStatus", skip=0):
    """The daemon's own time per request (event=request ... us=N), in ms, after the first skip."""
    ms = []
    if path:
        with open(path) as f:
            for line in f:
                if "event=request" in line and "method=%s " % method in line:
                    m = re.search(r" us=(\d+)", line)
                    if m:
                        ms.append(int(m.group(1)) / 1000.0)
    return ms[skip:]


def sql_log_ms(path, skip=0):
    """The PostgreSQL time of each GetStatus request, from the server log (log_min_duration_statement
    = 0 for the daemon's role): every statement's parse, bind and execute durations are added up
    until the execute of the status query, which is the request's last statement."""
    ms = []
    acc = 0.0
    if path:
        with open(path, errors="replace") as f:
            for line in f:
                m = re.search(r"duration: ([0-9.]+) ms  (parse|bind|execute)", line)
                if not m:
                    continue
                acc += float(m.group(1))
                if m.group(2) == "execute" and "planreg_status_rows(" in line:
                    ms.append(acc)
                    acc = 0.0
    return ms[skip:]


def cmd_table(a):
    raw = summary(pgbench_latencies(a.pgbench_log))
    raw_avg = pgbench_average(a.pgbench_out)
    d = None
    if a.daemon:
        with open(a.daemon) as f:
            d = json.load(f)
    rows = [("", "raw SQL (pgbench)", "daemon GetStatus")]

    def cell(s, key):
        return "%.1f" % s[key] if s and s["n"] else "-"

    dl = d["latency_ms"] if d else None
    rows.append(("requests", str(raw["n"]), str(d["requests"]) if d else "-"))
    rows.append(("mean ms", "%.1f" % raw_avg, cell(dl, "mean")))
    for key in ("p50", "p95", "p99", "max"):
        rows.append((key + " ms", cell(raw, key), cell(dl, key)))
    if d and a.daemon_log:
        srv = summary(daemon_log_ms(a.daemon_log, skip=d["warmup"]))
        rows.append(("daemon p50 ms (own log)", "-", cell(srv, "p50")))
        rows.append(("daemon p95 ms (own log)", "-", cell(srv, "p95")))
    if d and a.sql_log:
        sql = summary(sql_log_ms(a.sql_log, skip=d["warmup"]))
        rows.append(("  of which SQL p50 ms (PostgreSQL log)", "-", cell(sql, "p50")))
    rows.append(("rows / page", "%s rows (all projects)" % a.rows if a.rows else "-",
                 "%d of %d projects" % (d["page_projects"], d["total_projects"]) if d else "-"))
    rows.append(("response", "-", "%d bytes" % d["response_bytes"] if d else "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for n, r in enumerate(rows):
        print("  %-*s  %*s  %*s" % (widths[0], r[0], widths[1], r[1], widths[2], r[2]))
        if n == 0:
            print("  %s  %s  %s" % ("-" * widths[0], "-" * widths[1], "-" * widths[2]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--ca", required=True)
    r.add_argument("--cert", required=True)
    r.add_argument("--key", required=True)
    r.add_argument("--period", required=True)
    r.add_argument("--page-size", type=int, default=1000)
    r.add_argument("--runs", type=int, default=30)
    r.add_argument("--warmup", type=int, default=3)
    r.add_argument("--as-at", default="")
    r.add_argument("--expect-projects", type=int)
    r.add_argument("--timeout", type=float, default=60.0)
    r.add_argument("--quickack", action="store_true", help="diagnostic: TCP_QUICKACK before every read")
    r.add_argument("--out", required=True)
    t = sub.add_parser("table")
    t.add_argument("--pgbench-log", nargs="+", required=True)
    t.add_argument("--pgbench-out", required=True)
    t.add_argument("--daemon", default="")
    t.add_argument("--rows", default="")
    t.add_argument("--daemon-log", default="", help="planregd's log: its own us= per request")
    t.add_argument("--sql-log", default="", help="PostgreSQL's log of the daemon's statements")
    a = ap.parse_args()
    if a.cmd == "run":
        if not 1 <= a.runs <= 100000 or not 0 <= a.warmup <= 1000:
            ap.error("--runs must be 1..100000 and --warmup 0..1000")
        cmd_run(a)
    else:
        cmd_table(a)


if __name__ == "__main__":
    main()
