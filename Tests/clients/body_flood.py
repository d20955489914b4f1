"""Many connections each sending a large request body slowly, against `localvpc serve`: the server's
memory stays bounded while they hang, and is given back once they close.

Usage: body_flood.py URL PID CONNECTIONS
Prints the server's resident memory before, at its highest during, and after; checks the bounds.
"""
import socket
import sys
import time

from seed_common import check, run

url, pid, connections = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
host, port = url.split("//")[1].split(":")
port = int(port)
BODY = 1 << 20  # 1 MiB, the largest body the API takes


def rss_mb():
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main():
    before = rss_mb()
    peak = before
    sockets = []
    chunk = b"A" * 65536
    refused = 0
    for index in range(connections):
        s = socket.create_connection((host, port))
        s.settimeout(2)
        s.sendall(f"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {BODY}\r\n\r\n".encode())
        sockets.append(s)
        # All of the body but its last byte: the request is never complete.
        sent = 0
        try:
            while sent < BODY - 1:
                n = s.send(chunk[: min(len(chunk), BODY - 1 - sent)])
                sent += n
        except (BlockingIOError, socket.timeout, BrokenPipeError, ConnectionResetError):
            refused += 1
        if index % 50 == 0:
            peak = max(peak, rss_mb())
    time.sleep(1)
    peak = max(peak, rss_mb())
    answers = 0
    for s in sockets:
        try:
            s.settimeout(0.05)
            if s.recv(64).startswith(b"HTTP/1.1 503"):
                answers += 1
        except (socket.timeout, ConnectionResetError, OSError):
            pass
    for s in sockets:
        s.close()
    after = rss_mb()
    for _ in range(50):
        time.sleep(0.1)
        after = rss_mb()
        if after < 100:
            break
    print(f"connections {connections}, refused with 503: {answers}, rss before {before:.0f} MB, peak {peak:.0f} MB, after {after:.0f} MB")
    check(peak < 200, f"resident memory stays under 200 MB during the flood (peak {peak:.0f} MB)")
    check(after < 100, f"and returns under 100 MB after (now {after:.0f} MB)")
    check(answers > 0, "bodies beyond the budget are answered 503")


run(main)
