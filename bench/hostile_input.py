#!/usr/bin/env python3
"""Hostile input against a real spoke-server: what it costs the server.

Reports, each case on a fresh server and store:
  - peak RSS growth for a push whose pack entry claims 4 GiB (one, and six at once), and for a
    pack header claiming 0xFFFFFFFF objects;
  - peak RSS growth for a 300 MiB chunked push body (within --max-body-mib, so it is read whole
    and refused by the pack check), and the time to a 413 for the same body over a 100 MiB limit;
  - latency (p50, p99, max) of a normal GET while 200 slow connections trickle request heads,
    against the same GETs with no slow connections.
Targets (issue 14): RSS growth under 64 MiB each; p99 under 1 s.

Usage: bench/hostile_input.py [BUILD_DIR]   (default: ./build)
"""
import hashlib
import os
import re
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
SERVER = os.path.join(BUILD, "spoke-server")
MIB = 1 << 20


class Server:
    def __init__(self, *args):
        self.dir = tempfile.TemporaryDirectory(prefix="spoke-hostile-")
        self.proc = subprocess.Popen(
            [SERVER, "-port", "0", "--host", "127.0.0.1", "-storage-dir", self.dir.name + "/store", "-q", *args],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        match = re.search(r"on http://127\.0\.0\.1:(\d+)", line)
        if not match:
            raise SystemExit("spoke-server did not start: " + line)
        self.port = int(match.group(1))

    def status_kib(self, field):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return -1

    def close(self):
        self.proc.kill()
        self.proc.wait()
        self.dir.cleanup()


def read_answer(sock, timeout=120):
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(65536)
        if not piece:
            break
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    match = re.match(rb"HTTP/1\.[01] (\d+)", head)
    length = re.search(rb"(?i)content-length: *(\d+)", head)
    want = int(length.group(1)) if length else 0
    while len(body) < want:
        piece = sock.recv(65536)
        if not piece:
            break
        body += piece
    return (int(match.group(1)) if match else 0), body


def push_request(pack, chunked=False):
    header = b'{"updates":[{"name":"refs/tags/evil/v1.0.0","old":"","new":"' + b"a" * 40 + b'"}]}\n'
    body = header + pack
    if chunked:
        return b"POST /sync/v1/push HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", header
    return (b"POST /sync/v1/push HTTP/1.1\r\nHost: x\r\nContent-Length: " + str(len(body)).encode() +
            b"\r\n\r\n" + body), None


def claim_pack(count, size_claim):
    """A pack whose header says `count` objects and whose one entry claims `size_claim` bytes."""
    out = b"PACK" + struct.pack(">II", 2, count)
    size = size_claim
    first = 0x30 | (size & 0x0F)  # type 3, blob
    size >>= 4
    entry = bytearray()
    entry.append(first | (0x80 if size else 0))
    while size:
        byte = size & 0x7F
        size >>= 7
        entry.append(byte | (0x80 if size else 0))
    out += bytes(entry) + zlib.compress(b"x" * 100)
    return out + hashlib.sha1(out).digest()


def rss_growth(server, send):
    before = server.status_kib("VmRSS")
    result = send()
    return (server.status_kib("VmHWM") - before) / 1024, result


def one_push(port, request):
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(request)
        return read_answer(s)[0]


def case_claim(count, size, parallel=1):
    server = Server()
    try:
        request, _ = push_request(claim_pack(count, size))

        def send():
            statuses = []
            threads = [threading.Thread(target=lambda: statuses.append(one_push(server.port, request)))
                       for _ in range(parallel)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return statuses
        growth, statuses = rss_growth(server, send)
        return growth, statuses, len(request)
    finally:
        server.close()


def case_chunked(total_mib, limit_mib):
    server = Server("--max-body-mib", str(limit_mib))
    try:
        head, header = push_request(b"", chunked=True)

        def send():
            start = time.monotonic()
            with socket.create_connection(("127.0.0.1", server.port)) as s:
                s.sendall(head)
                block = b"PACK" + b"\x00\x00\x00\x02" + b"x" * (MIB - 8)
                first = header + block
                try:
                    s.sendall(b"%x\r\n" % len(first) + first + b"\r\n")
                    for _ in range(total_mib - 1):
                        s.sendall(b"%x\r\n" % len(block) + block + b"\r\n")
                    s.sendall(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass
                status, _ = read_answer(s)
            return status, time.monotonic() - start
        growth, (status, took) = rss_growth(server, send)
        return growth, status, took
    finally:
        server.close()


def latencies(port, count):
    out = []
    for _ in range(count):
        start = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(b"GET /health/ready HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            status, _ = read_answer(s, timeout=10)
        out.append((time.monotonic() - start) * 1000)
        if status != 200:
            raise SystemExit(f"a normal GET got {status}")
    out.sort()
    return out[len(out) // 2], out[int(len(out) * 0.99) - 1], out[-1]


def case_slowloris(slow_count=200, gets=500):
    server = Server()
    try:
        baseline = latencies(server.port, gets)
        slow = []
        for i in range(slow_count):
            s = socket.socket()
            s.bind((f"127.0.0.{2 + i % 4}", 0))
            s.connect(("127.0.0.1", server.port))
            s.sendall(b"GET /modules HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            slow.append(s)
        stop = threading.Event()

        def trickle():
            while not stop.wait(1.0):
                for s in slow:
                    try:
                        s.send(b"a")
                    except OSError:
                        pass
        t = threading.Thread(target=trickle)
        t.start()
        under = latencies(server.port, gets)
        stop.set()
        t.join()
        for s in slow:
            s.close()
        return baseline, under
    finally:
        server.close()


def main():
    rows = []
    growth, statuses, size = case_claim(1, 4 << 30)
    rows.append((f"push of {size} bytes, one entry claiming 4 GiB", f"{growth:.1f} MiB", f"{statuses}", "< 64 MiB"))
    growth, statuses, size = case_claim(1, 4 << 30, parallel=6)
    rows.append(("six of those at once", f"{growth:.1f} MiB", f"{sorted(statuses)}", "< 64 MiB"))
    growth, statuses, size = case_claim(0xFFFFFFFF, 10)
    rows.append(("pack header claiming 0xFFFFFFFF objects", f"{growth:.1f} MiB", f"{statuses}", "< 64 MiB"))
    growth, status, took = case_chunked(300, 1024)
    rows.append(("300 MiB chunked push body, limit 1024 MiB", f"{growth:.1f} MiB", f"[{status}] in {took:.2f} s",
                 "< 64 MiB"))
    growth, status, took = case_chunked(300, 100)
    rows.append(("300 MiB chunked push body, limit 100 MiB", f"{growth:.1f} MiB", f"[{status}] in {took:.2f} s",
                 "< 64 MiB"))
    baseline, under = case_slowloris()
    rows.append(("GET /health/ready, no slow connections (p50/p99/max)",
                 "/".join(f"{v:.1f}" for v in baseline) + " ms", "", ""))
    rows.append(("GET /health/ready, 200 slow connections open (p50/p99/max)",
                 "/".join(f"{v:.1f}" for v in under) + " ms", "", "p99 < 1000 ms"))
    print("| case | server peak RSS growth / latency | answers | target |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
