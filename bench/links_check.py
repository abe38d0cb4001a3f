"""Link checking at scale: 10,000 links spread over 50 local hosts, with the default politeness.

Questions (issue 15, "Done when"): how many links per second does the checker judge, does the
per-host bound hold under load (the highest number of requests one host was serving at once, seen
by the servers themselves and by the checker — the script exits 1 if either exceeds the bound),
and how much memory does a run take (peak RSS of the checking process)?

The 50 hosts are 127.0.0.1 … 127.0.0.50 (all loopback on Linux), one threaded HTTP/1.1 server
each, in a child process so the servers neither share the checker's GIL nor count in its memory.
Each host serves a ``robots.txt`` and landing pages: mostly 200 HTML pages (HEAD, then a GET to
read the title), with some PDFs (HEAD only), 404s, soft 404s, temporary and permanent redirects
and robots-disallowed paths, so every branch of the checker runs.

Politeness is the checker's default (2 requests at once per host, 16 in all) except the per-host
delay: the default (1 s between two requests to one host) makes a host of 200 links last at least
400 s by design, so the bench spaces requests by ``--delay`` (0.01 s unless told) and prints the
floor that spacing imposes; each answer takes ``--service`` seconds (0.025), longer than the
spacing, so two requests to one host do overlap and the bound is really tested. ``--delay 1``
measures the production setting.

    .venv/bin/python bench/links_check.py [--links 10000] [--hosts 50] [--delay 0.01] [--service 0.025]
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.connection import Connection
from typing import Any

from ren_index.links.checker import CheckerConfig, run_checks
from ren_index.links.outcomes import LinkTarget

ROBOTS = b"User-agent: *\nDisallow: /private/\n"
PAGE = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head><body>"
    "<h1>{title}</h1><p>" + "Notes de cours, exercices et corrigés. " * 40 + "</p></body></html>"
)


def _reply(path: str) -> tuple[int, dict[str, str], bytes]:
    """The answer of a bench host to ``path`` (``/r/<n>``: its kind follows from ``n``)."""
    if path == "/robots.txt":
        return 200, {"Content-Type": "text/plain"}, ROBOTS
    if path.startswith("/moved/"):
        return 200, {"Content-Type": "text/html; charset=utf-8"}, PAGE.format(title="Déplacée").encode()
    n = int(path.rsplit("/", 1)[-1]) if path.rsplit("/", 1)[-1].isdigit() else -1
    html = {"Content-Type": "text/html; charset=utf-8"}
    if n < 0 or n % 25 == 0:
        return 404, html, b"<title>404</title>"
    if n % 25 == 1:
        return 200, {"Content-Type": "application/pdf"}, b"%PDF-1.4"
    if n % 25 == 2:
        return 200, html, PAGE.format(title="Page introuvable").encode()
    if n % 25 == 3:
        return 301, {"Location": f"/moved/{n}"}, b""
    if n % 25 == 4:
        return 302, {"Location": f"/moved/{n}"}, b""
    return 200, html, PAGE.format(title=f"Ressource {n}").encode()


def serve(hosts: int, service: float, conn: Connection) -> None:
    """Child process: one server per host address; sends the ports, then on request the peaks."""
    lock = threading.Lock()
    active: Counter[str] = Counter()
    peak: Counter[str] = Counter()
    requests: Counter[str] = Counter()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_HEAD(self) -> None:
            self._serve(head=True)

        def do_GET(self) -> None:
            self._serve(head=False)

        def _serve(self, head: bool) -> None:
            host = self.server.server_address[0]
            with lock:
                active[host] += 1
                requests[host] += 1
                peak[host] = max(peak[host], active[host])
            try:
                status, headers, body = _reply(self.path)
                time.sleep(service)  # service time: longer than the spacing, so requests overlap
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)
            finally:
                with lock:
                    active[host] -= 1

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        request_queue_size = 256

    servers = [Server((f"127.0.0.{i}", 0), Handler) for i in range(1, hosts + 1)]
    for server in servers:
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    conn.send([(str(s.server_address[0]), int(s.server_address[1])) for s in servers])
    conn.recv()  # "report"
    with lock:
        conn.send((dict(peak), dict(requests)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--links", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--delay", type=float, default=0.01, help="seconds between two requests to one host")
    parser.add_argument(
        "--concurrency", type=int, default=CheckerConfig.concurrency, help="requests in flight in all"
    )
    parser.add_argument("--service", type=float, default=0.025, help="seconds a host takes to answer")
    args = parser.parse_args()

    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=serve, args=(args.hosts, args.service, child), daemon=True)
    process.start()
    addresses: list[tuple[str, int]] = parent.recv()
    targets = []
    for n in range(args.links):
        host, port = addresses[n % len(addresses)]
        path = f"/private/{n}" if n % 97 == 0 else f"/r/{n // len(addresses)}"
        targets.append(LinkTarget(record_id=f"rec-{n}", url=f"http://{host}:{port}{path}", source_id="bench"))
    config = CheckerConfig(
        allow_hosts=("127.0.0.0/8",),
        per_host_delay=args.delay,
        concurrency=args.concurrency,
        deadline=3600.0,
        user_agent="ren-index/bench (link checker; +bench@example.org)",
    )
    started = time.perf_counter()
    run = run_checks(targets, config)
    elapsed = time.perf_counter() - started
    parent.send("report")
    server_peaks, server_requests = parent.recv()
    process.terminate()

    outcomes = Counter(result.outcome.value for result in run.results)
    server_peak = max(server_peaks.values(), default=0)
    per_host_links = -(-args.links // args.hosts)
    rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"links: {args.links} over {args.hosts} hosts; per-host bound {config.per_host}, global bound"
        f" {config.concurrency}, per-host delay {args.delay:g} s, service time {args.service:g} s"
    )
    print(
        f"checked in {elapsed:.1f} s: {args.links / elapsed:,.0f} links/s;"
        f" {run.requests:,} requests by the checker ({sum(server_requests.values()):,} seen by the servers),"
        f" {run.requests / elapsed:,.0f} requests/s"
    )
    print(
        f"floor set by the delay: {per_host_links} links per host x 1 or 2 requests x {args.delay:g} s"
        f" = {per_host_links * args.delay:.1f}-{per_host_links * 2 * args.delay:.1f} s"
    )
    print("outcomes: " + ", ".join(f"{name} {count}" for name, count in sorted(outcomes.items())))
    print(
        f"max concurrency per host: {server_peak} seen by the servers, {run.max_concurrency_per_host}"
        f" by the checker (bound {config.per_host})"
    )
    print(f"peak memory (ru_maxrss) of the checking process: {rss_mib:.0f} MiB")
    if server_peak > config.per_host or run.max_concurrency_per_host > config.per_host:
        print("FAILED: the per-host bound was exceeded", file=sys.stderr)
        return 1
    if run.deadline_hit:
        print("FAILED: the run hit its deadline", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
