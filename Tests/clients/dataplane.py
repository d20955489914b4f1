"""`localvpc up` with real traffic: the seed design's ELB (HTTP and HTTPS) in front of two real backend
processes, health checks, live changes through the aws CLI, on-demand NAT for egress, hostile clients.

Usage: dataplane.py LOCALVPC_BINARY TOPOLOGY_FILE
Everything binds 127.0.0.1; "the internet" is a server in this script, standing in for example.com.
"""
import http.client
import http.server
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request

from seed_common import AwsCli, check

binary, topology = sys.argv[1], sys.argv[2]
processes = []


def spawn(*arguments):
    process = subprocess.Popen([binary, *arguments], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    processes.append(process)
    return process


def read_until(process, marker, timeout=60):
    """Lines the process prints until one contains the marker."""
    lines, deadline = [], time.time() + timeout
    while time.time() < deadline:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError(f"process exited before '{marker}': {lines}")
        lines.append(line.strip())
        if marker in line:
            return lines
    raise RuntimeError(f"no '{marker}' within {timeout} s: {lines}")


def backend(name, port=0):
    process = spawn("backend", "--name", name, "--listen", f"127.0.0.1:{port}")
    line = read_until(process, "backend")[-1]
    return process, int(line.rsplit(":", 1)[1])


def eventually(condition, message, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if condition():
            check(True, message)
            return
        time.sleep(0.1)
    check(condition(), message)


class Internet(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"hello from the internet, you asked for {self.headers.get('Host')}{self.path}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def get(url, timeout=10, context=None):
    """(status, body, headers) of one request on a new connection."""
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def name_of(body):
    return body.split()[0] if body else ""


def main():
    internet = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Internet)
    threading.Thread(target=internet.serve_forever, daemon=True).start()
    internet_port = internet.server_address[1]

    web1, port1 = backend("web-1")
    web2, port2 = backend("web-2")
    up = spawn("up", topology, "--api-port", "0", "--listen", "elb:80=127.0.0.1:0", "--listen", "elb:443=127.0.0.1:0",
               "--backend", f"web-1=127.0.0.1:{port1}", "--backend", f"web-2=127.0.0.1:{port2}",
               "--internet", f"example.com=127.0.0.1:{internet_port}", "--health-check-scale", "0.05",
               "--backend-timeout", "1.5", "--idle-timeout", "6", "--log-level", "warning")
    lines = read_until(up, "ready")
    text = "\n".join(lines)
    http_url = re.search(r"listener elb HTTP:80 -> HTTP:80 (http://\S+)", text).group(1)
    https_url = re.search(r"listener elb HTTPS:443 -> HTTP:80 (https://\S+)", text).group(1)
    api = re.search(r"^api (http://\S+)", text, re.M).group(1)
    egress = {m.group(1): m.group(3) for m in re.finditer(r"^egress (\S+) (i-\w+) (http://\S+)", text, re.M)}
    instance_ids = {m.group(1): m.group(2) for m in re.finditer(r"^egress (\S+) (i-\w+)", text, re.M)}
    check(set(egress) == {"nat", "web-1", "web-2"}, "every instance has an egress proxy")
    aws = AwsCli(api)

    def health():
        states = aws("elb", "describe-instance-health", "--load-balancer-name", "elb")["InstanceStates"]
        return {s["InstanceId"]: s for s in states}

    def state_of(name):
        return health()[instance_ids[name]]["State"]

    eventually(lambda: all(s["State"] == "InService" for s in health().values()), "both web servers are InService (DescribeInstanceHealth)")

    # HTTP through the ELB: new connections alternate between the two backends (ELB Classic guide, "How Elastic
    # Load Balancing works": least outstanding requests for HTTP listeners; with none outstanding, round robin).
    names = [name_of(get(http_url + "/index.html")[1]) for _ in range(6)]
    check(set(names) == {"web-1", "web-2"} and all(a != b for a, b in zip(names, names[1:])), f"round robin over new connections: {names}")
    # One keep-alive connection: the same alternation, and the X-Forwarded headers
    # (ELB Classic guide, "HTTP headers and Classic Load Balancers").
    host, port = http_url[len("http://"):].split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    bodies = []
    for _ in range(4):
        connection.request("GET", "/keep")
        response = connection.getresponse()
        bodies.append(response.read().decode())
    names = [name_of(b) for b in bodies]
    check(all(a != b for a, b in zip(names, names[1:])), f"round robin over one keep-alive connection: {names}")
    check("x-forwarded-for: 127.0.0.1" in bodies[0] and "x-forwarded-proto: http\n" in bodies[0] and "x-forwarded-port: 80" in bodies[0],
          "X-Forwarded-For, -Proto and -Port reach the backend")
    # Request streaming: a 2 MiB chunked upload goes through.
    def chunks():
        for _ in range(32):
            yield b"x" * 65536
    connection.request("POST", "/upload", body=chunks(), encode_chunked=True)
    response = connection.getresponse()
    check(response.status == 200 and response.read(), "a 2 MiB chunked request body streams through the proxy")

    # HTTPS: TLS terminated at the ELB, plain HTTP to the instance (HTTPS:443 -> HTTP:80;
    # ELB Classic guide, "Listeners for your Classic Load Balancer"; SEMANTICS.md, Classic Load Balancer).
    insecure = ssl.create_default_context()
    insecure.check_hostname = False
    insecure.verify_mode = ssl.CERT_NONE
    results = [get(https_url + "/secure", context=insecure) for _ in range(4)]
    check(all(r[0] == 200 for r in results) and {name_of(r[1]) for r in results} == {"web-1", "web-2"}, "HTTPS reaches both backends")
    check("x-forwarded-proto: https" in results[0][1] and "x-forwarded-port: 443" in results[0][1], "HTTPS requests carry X-Forwarded-Proto https, port 443")
    with socket.create_connection((host, int(https_url.rsplit(":", 1)[1]))) as raw:
        with insecure.wrap_socket(raw) as tls:
            check(tls.version() in ("TLSv1.2", "TLSv1.3"), f"the HTTPS listener speaks {tls.version()}")

    # Edit the health check live: faster thresholds (also proves ConfigureHealthCheck reaches the data plane).
    aws("elb", "configure-health-check", "--load-balancer-name", "elb", "--health-check",
        "Target=HTTP:80/index.html,Interval=10,Timeout=5,UnhealthyThreshold=2,HealthyThreshold=2")

    # A backend dies: it goes OutOfService after UnhealthyThreshold failed checks and gets no new requests;
    # revived, it returns after HealthyThreshold passes (ELB Classic guide, "Health checks for your Classic Load Balancer").
    web1.kill()
    web1.wait()
    eventually(lambda: state_of("web-1") == "OutOfService", "a killed backend goes OutOfService", timeout=8)
    check(health()[instance_ids["web-1"]]["Description"].startswith("Instance has failed at least the UnhealthyThreshold"), "with AWS's description")
    names = [name_of(get(http_url + "/")[1]) for _ in range(6)]
    check(names == ["web-2"] * 6, f"only the healthy backend gets requests: {names}")
    web1, _ = backend("web-1", port1)
    eventually(lambda: state_of("web-1") == "InService", "the revived backend returns to InService", timeout=8)
    eventually(lambda: "web-1" in {name_of(get(http_url + "/")[1]) for _ in range(4)}, "and gets requests again", timeout=4)

    # A security group edit that breaks ELB -> web: health checks fail, every instance goes OutOfService, 503
    # (SEMANTICS.md: the instance SG must allow the health-check port from the LB's SG; ELB Classic guide,
    # "Troubleshoot a Classic Load Balancer: HTTP errors", HTTP 503: no healthy instances).
    groups = aws("ec2", "describe-security-groups")["SecurityGroups"]
    group = {g["GroupName"]: g["GroupId"] for g in groups}
    permission = f"IpProtocol=tcp,FromPort=80,ToPort=80,UserIdGroupPairs=[{{GroupId={group['elb-sg']}}}]"
    aws("ec2", "revoke-security-group-ingress", "--group-id", group["web-sg"], "--ip-permissions", permission)
    eventually(lambda: all(s["State"] == "OutOfService" for s in health().values()), "revoking web-sg's rule for elb-sg takes both instances OutOfService", timeout=8)
    status, body, headers = get(http_url + "/")
    check(status == 503 and "InService" in body, f"clients get 503 with the reason: {body.strip()}")
    check("ENI_SG_RULES_MISMATCH" in body or "ENI_SG_RULES_MISMATCH" in headers.get("X-LocalVPC-Reason", ""),
          "the reason names the security group rule that drops the health checks")
    aws("ec2", "authorize-security-group-ingress", "--group-id", group["web-sg"], "--ip-permissions", permission)
    eventually(lambda: all(s["State"] == "InService" for s in health().values()), "restoring the rule brings both back", timeout=8)
    check(get(http_url + "/")[0] == 200, "and requests succeed again")

    # Deregistering an instance takes effect within a second.
    aws("elb", "deregister-instances-from-load-balancer", "--load-balancer-name", "elb", "--instances", instance_ids["web-2"])
    time.sleep(1)
    names = [name_of(get(http_url + "/")[1]) for _ in range(4)]
    check(names == ["web-1"] * 4, f"a deregistered instance gets no requests: {names}")
    aws("elb", "register-instances-with-load-balancer", "--load-balancer-name", "elb", "--instances", instance_ids["web-2"])
    eventually(lambda: "web-2" in {name_of(get(http_url + "/")[1]) for _ in range(4)}, "registered again, it serves again", timeout=8)

    # An established keep-alive connection survives a change that still allows it.
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("GET", "/before")
    connection.getresponse().read()
    socket_before = connection.sock.getsockname()
    aws("ec2", "authorize-security-group-ingress", "--group-id", group["nat-sg"], "--protocol", "tcp", "--port", "22", "--cidr", "10.0.0.0/16")
    time.sleep(1.0)
    connection.request("GET", "/after")
    response = connection.getresponse()
    check(response.status == 200 and response.read() and connection.sock.getsockname() == socket_before,
          "an established client connection survives a live change that still allows it")

    # On-demand NAT: egress through the NAT instance, refused when it is stopped (VPC User Guide, "Route tables":
    # a route to a stopped instance is a blackhole; BAD_STATE_ROUTE), back when started (SYSTEM.md, "on-demand NAT").
    def through_proxy(instance, url):
        proxy = urllib.request.ProxyHandler({"http": egress[instance]})
        try:
            with urllib.request.build_opener(proxy).open(url, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    status, body = through_proxy("web-1", "http://example.com/page")
    check(status == 200 and "hello from the internet" in body and "example.com/page" in body, "web-1 reaches the internet through the NAT instance")
    proxy_host, proxy_port = egress["web-1"][len("http://"):].split(":")
    with socket.create_connection((proxy_host, int(proxy_port)), timeout=10) as tunnel:
        tunnel.sendall(b"CONNECT example.com:80 HTTP/1.1\r\nHost: example.com:80\r\n\r\n")
        reply = tunnel.recv(4096)
        check(reply.startswith(b"HTTP/1.1 200"), "CONNECT opens a tunnel")
        tunnel.sendall(b"GET /tunnel HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := tunnel.recv(4096):
            data += chunk
        check(b"hello from the internet" in data, "and bytes flow through it")
    status, body = through_proxy("web-1", "http://example.com:22/")
    check(status == 403 and "ENI_SG_RULES_MISMATCH" in body, "egress on a port web-sg does not allow is refused, with the rule")
    aws("ec2", "stop-instances", "--instance-ids", instance_ids["nat"])
    time.sleep(1.0)
    status, body = through_proxy("web-2", "http://example.com/")
    check(status == 403 and "BAD_STATE_ROUTE" in body, f"stopping the NAT instance ends outbound access: {body.strip()}")
    aws("ec2", "start-instances", "--instance-ids", instance_ids["nat"])
    eventually(lambda: through_proxy("web-2", "http://example.com/")[0] == 200, "starting it again restores outbound access", timeout=3)

    # The internet -> listener admission: revoke elb-sg's port 80 rule and new connections are refused.
    aws("ec2", "revoke-security-group-ingress", "--group-id", group["elb-sg"], "--protocol", "tcp", "--port", "80", "--cidr", "0.0.0.0/0")
    time.sleep(1.0)
    try:
        status = get(http_url + "/", timeout=3)[0]
    except Exception as error:
        status = type(error).__name__
    check(status != 200, f"with elb-sg closed on port 80, the listener refuses connections ({status})")
    check(get(https_url + "/", context=insecure)[0] == 200, "while HTTPS on 443 still works")
    aws("ec2", "authorize-security-group-ingress", "--group-id", group["elb-sg"], "--protocol", "tcp", "--port", "80", "--cidr", "0.0.0.0/0")
    time.sleep(1.0)
    check(get(http_url + "/")[0] == 200, "reopened, it serves again")

    # Hostile and slow clients.
    def raw_exchange(payload, wait=5):
        with socket.create_connection((host, int(port)), timeout=wait) as raw:
            raw.sendall(payload)
            try:
                return raw.recv(65536)
            except socket.timeout:
                return None

    check(raw_exchange(b"GARBAGE\r\n\r\n").startswith(b"HTTP/1.1 400"), "a malformed request gets 400")
    with socket.create_connection((host, int(port)), timeout=5) as raw:
        raw.sendall(b"GET /one HTTP/1.1\r\nHost: x\r\n\r\nHEAD /two HTTP/1.1\r\nHost: x\r\n\r\n"
                    b"GET /three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := raw.recv(65536):
            data += chunk
    check(data.count(b"HTTP/1.1 200") == 3 and data.index(b"path: /one") < data.index(b"path: /three") and b"path: /two" not in data,
          "pipelined requests are answered in order, and a HEAD response has no body (RFC 9112, 9.3.2 and 6.3)")
    check(raw_exchange(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 + b"\r\n\r\n").startswith(b"HTTP/1.1 4"), "an oversized header gets a 4xx")
    # ELB Classic guide, "Configure the idle connection timeout": a client connection without data for
    # the idle timeout (default 60 s; 6 s here) is closed.
    started = time.time()
    closed = raw_exchange(b"GET / HTTP/1.1\r\nHost: x\r\n", wait=15)
    check(closed == b"" and 5 < time.time() - started < 10, f"a client that stalls mid-request is closed after the idle timeout ({time.time() - started:.1f} s)")

    # A backend that accepts but never answers: 504 after the backend timeout (TCP health check passes;
    # ELB Classic guide, "Troubleshoot a Classic Load Balancer: HTTP errors", HTTP 504: gateway timeout).
    aws("elb", "configure-health-check", "--load-balancer-name", "elb", "--health-check",
        "Target=TCP:80,Interval=10,Timeout=5,UnhealthyThreshold=2,HealthyThreshold=2")
    web1.kill()
    web1.wait()
    silent = socket.socket()
    silent.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    silent.bind(("127.0.0.1", port1))
    silent.listen(64)
    statuses = {get(http_url + "/")[0] for _ in range(4)}
    check(504 in statuses and 200 in statuses, f"a silent backend gives 504, the other still 200: {sorted(statuses)}")
    silent.close()

    # Metrics and status.
    metrics = urllib.request.urlopen(api + "/metrics", timeout=10).read().decode()
    check('localvpc_elb_requests_total{load_balancer="elb"' in metrics and 'code="503"' in metrics and 'code="504"' in metrics,
          "Prometheus metrics count requests by status code")
    check("localvpc_admission_decisions_total" in metrics and "localvpc_elb_backend_in_service" in metrics
          and "localvpc_elb_request_duration_seconds_bucket" in metrics, "and admission decisions, backend health and latency")
    status = subprocess.run([binary, "status", "--endpoint", api], capture_output=True, text=True, timeout=30)
    check(status.returncode == 0 and "InService" in status.stdout and instance_ids["web-2"] in status.stdout, "localvpc status lists the instances' health")
    check(up.poll() is None, "the data plane is still running")
    print("all checks passed")


try:
    main()
finally:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
