#!/usr/bin/env python3
"""LocalVPC's reliability figures, measured: hostile requests, memory under a body flood, kill -9.

Starts `localvpc serve` on 127.0.0.1 (port 0, a temporary state file) and
1. sends hostile requests of every kind: malformed and smuggling-style HTTP, random bytes, forged
   signatures, and every EC2 and ELB action of botocore's models called with hostile parameter values
   (control characters, huge and negative numbers, bad CIDRs, deep list indexes, unknown names);
   counts the answers by class and the server's crashes (it is restarted if it dies);
2. floods it with 1,000 connections each sending 1 MiB of a body that never ends (Tests/clients/body_flood.py)
   and reads its resident memory during and after;
3. runs kill -9 trials: a client creates security groups one after another, the server is killed
   with SIGKILL at a random moment, restarted on the same state file, and every write it acknowledged
   (across all trials so far) must be there.

Usage: scripts/reliability.py [--binary PATH] [--requests N] [--trials N] [--seed N]
Needs boto3 (pip install boto3). Prints the figures; exit status 1 if a figure misses its target.
"""
import argparse
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "Tests", "clients"))


class Server:
    def __init__(self, binary, state):
        self.process = subprocess.Popen([binary, "serve", "--port", "0", "--state", state],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = ""
        deadline = time.time() + 30
        while "listening on" not in line and time.time() < deadline:
            line = self.process.stdout.readline()
            if not line and self.process.poll() is not None:
                raise RuntimeError("localvpc serve exited at start")
        self.url = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)
        self.port = int(self.url.rsplit(":", 1)[1])
        threading.Thread(target=self.process.stdout.read, daemon=True).start()

    def alive(self):
        return self.process.poll() is None

    def stop(self, sig=signal.SIGTERM):
        if self.alive():
            self.process.send_signal(sig)
        self.process.wait(timeout=30)


# MARK: hostile requests

HOSTILE_VALUES = ["", "x\x00y", "\x01\x02\x7f", "-1", "-0", "+80", "99999999999999999999", "1e9", "NaN", "abc", "010.0.0.0/8",
                  "10.0.0.0/33", "10.0.0.1/24", "0.0.0.0/0", "::/0", "sg-", "vpc-zzzz", "i-" + "f" * 40, "é" * 300, "A" * 70000,
                  "<xml>&amp;", "%", "true", "false", "$Latest", "../../etc/passwd", "' OR 1=1 --", "\r\nX-Injected: 1"]


def raw_requests(rng):
    """Malformed and smuggling-style HTTP, and random bytes."""
    body = "Action=DescribeVpcs&Version=2016-11-15"
    return [
        "POST / HTTP/1.1\nHost: x\nContent-Length: 0\n\n",
        f"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{body}",
        f"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: {len(body)}\r\n\r\n{body}",
        "POST / HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\nContent-Length: 0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\x00y\r\nContent-Length: 0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"\x01\"\r\nhello\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "a" * 70000 + "\r\n\r\n",
        "GET /\r\n\r\n", "HELLO\r\n\r\n", "GET / HTTP/9.9\r\nHost: x\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE GARBAGE\r\n\r\n",
        f"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=/,, Signature=zz\r\n\r\n{body}",
        bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 2048))),
    ]


def api_requests(rng, count):
    """Every EC2/ELB action of botocore's models, with hostile values for its parameters."""
    import botocore.session
    from urllib.parse import quote
    session = botocore.session.get_session()
    actions = []
    for service, version in (("ec2", "2016-11-15"), ("elb", "2012-06-01")):
        model = session.get_service_model(service)
        for name in model.operation_names:
            members = list(model.operation_model(name).input_shape.members) if model.operation_model(name).input_shape else []
            actions.append((name, version, members))
    for _ in range(count):
        name, version, members = rng.choice(actions)
        fields = [("Action", name), ("Version", version)]
        for member in rng.sample(members, min(len(members), rng.randint(0, 6))):
            key = member if rng.random() < 0.5 else f"{member}.{rng.choice([1, 2, 99999, 0])}"
            if rng.random() < 0.2:
                key += f".{rng.choice(['Name', 'Value.1', 'Key', 'CidrIp', 'FromPort'])}"
            fields.append((key, rng.choice(HOSTILE_VALUES)))
        body = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in fields)
        yield (f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
               f"Content-Length: {len(body.encode())}\r\nConnection: close\r\n\r\n{body}")


def send(port, request):
    data = request if isinstance(request, bytes) else request.encode("utf-8", "surrogatepass")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            reply = b""
            while len(reply) < 64:
                chunk = s.recv(4096)
                if not chunk:
                    break
                reply += chunk
    except (ConnectionResetError, BrokenPipeError):
        return "reset"
    except socket.timeout:
        return "no answer in 10 s"
    match = re.match(rb"HTTP/1\.1 (\d)\d\d", reply)
    return f"{match.group(1).decode()}xx" if match else "closed without an answer"


def hostile(binary, directory, count, rng):
    state = os.path.join(directory, "hostile.sqlite")
    server = Server(binary, state)
    requests = [r for _ in range(max(1, count // 20)) for r in raw_requests(rng)][: count // 10]
    requests += list(api_requests(rng, count - len(requests)))
    rng.shuffle(requests)
    classes, crashes, lock = {}, 0, threading.Lock()
    queue = list(enumerate(requests))

    def worker():
        nonlocal crashes
        while True:
            with lock:
                if not queue:
                    return
                _, request = queue.pop()
                port = server.port
            outcome = send(port, request)
            with lock:
                classes[outcome] = classes.get(outcome, 0) + 1
    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        time.sleep(0.2)
        if not server.alive():
            with lock:
                crashes += 1
                server = Server(binary, state)
    for t in threads:
        t.join()
    alive = server.alive()
    server.stop()
    return len(requests), classes, crashes + (0 if alive else 1)


# MARK: memory and kill -9

def flood(binary, directory):
    server = Server(binary, os.path.join(directory, "flood.sqlite"))
    result = subprocess.run([sys.executable, os.path.join(ROOT, "Tests", "clients", "body_flood.py"), server.url,
                             str(server.process.pid), "1000"], capture_output=True, text=True, timeout=300)
    server.stop()
    match = re.search(r"peak (\d+) MB, after (\d+) MB", result.stdout)
    return (int(match.group(1)), int(match.group(2))) if match else (None, None)


def kill9(binary, directory, trials, rng):
    from seed_common import boto_client
    state = os.path.join(directory, "kill9.sqlite")
    acknowledged, lost = [], 0
    for trial in range(trials):
        server = Server(binary, state)
        ec2 = boto_client(server.url, "ec2", "AKIDKILL9")
        vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
        stop = threading.Event()

        def writer():
            n = 0
            while not stop.is_set():
                name = f"t{trial}-{n}"
                try:
                    ec2.create_security_group(GroupName=name, Description="kill -9 trial", VpcId=vpc)
                    acknowledged.append(name)
                except Exception:
                    return
                n += 1
        thread = threading.Thread(target=writer)
        thread.start()
        time.sleep(rng.uniform(0.5, 1.5))
        server.process.kill()
        server.process.wait()
        stop.set()
        thread.join()
        server = Server(binary, state)
        ec2 = boto_client(server.url, "ec2", "AKIDKILL9")
        present = {g["GroupName"] for g in ec2.get_paginator("describe_security_groups").paginate().build_full_result()["SecurityGroups"]}
        lost = sum(1 for name in acknowledged if name not in present)
        server.stop()
    return trials, len(acknowledged), lost


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    release = os.path.join(ROOT, ".build", "release", "localvpc")
    parser.add_argument("--binary", default=release if os.path.exists(release) else os.path.join(ROOT, ".build", "debug", "localvpc"))
    parser.add_argument("--requests", type=int, default=12000)
    parser.add_argument("--trials", type=int, default=6)
    parser.add_argument("--seed", type=int, default=2026)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    with tempfile.TemporaryDirectory() as directory:
        started = time.time()
        sent, classes, crashes = hostile(options.binary, directory, options.requests, rng)
        print(f"hostile requests: {sent} sent in {time.time() - started:.0f} s, answers "
              + ", ".join(f"{k}: {v}" for k, v in sorted(classes.items())) + f"; crashes: {crashes}")
        peak, after = flood(options.binary, directory)
        print(f"body flood (1,000 connections x 1 MiB unfinished): peak {peak} MB resident, {after} MB after they close")
        trials, writes, lost = kill9(options.binary, directory, options.trials, rng)
        print(f"kill -9 trials: {trials}, acknowledged writes {writes}, lost {lost}")
    failures = []
    if crashes:
        failures.append("the server crashed")
    if classes.get("5xx", 0):
        failures.append("5xx answers to hostile requests")
    if peak is None or peak >= 200 or after >= 100:
        failures.append("memory beyond its bound")
    if lost:
        failures.append("acknowledged writes lost")
    print("all targets met" if not failures else "MISSED: " + "; ".join(failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
