"""The Query API's HTTP/1.1 handling, over raw sockets (RFC 9112): keep-alive, pipelining,
100-continue, bodies split across reads, and the answers to what cannot be read."""
import socket
import sys
import time
from urllib.parse import urlparse

from seed_common import check, run

url = urlparse(sys.argv[1])
AUTH = "AWS4-HMAC-SHA256 Credential=AKID/20261129/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=00"


def connect():
    s = socket.create_connection((url.hostname, url.port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def request(body, extra=""):
    body = body.encode() if isinstance(body, str) else body
    head = (f"POST / HTTP/1.1\r\nHost: {url.netloc}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Authorization: {AUTH}\r\n{extra}Content-Length: {len(body)}\r\n\r\n")
    return head.encode() + body


def read_response(s, buffered=b""):
    """One response: (status, headers dict, body, leftover bytes)."""
    data = buffered
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            return None, {}, b"", b""
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    return status, headers, rest[:length], rest[length:]


def closed(s):
    try:
        s.settimeout(5)
        return s.recv(1) == b""
    except (ConnectionResetError, socket.timeout):
        return isinstance(sys.exc_info()[1], ConnectionResetError)


def main():
    # Keep-alive: several requests on one connection.
    s = connect()
    for _ in range(3):
        s.sendall(request("Action=DescribeRegions&Version=2016-11-15"))
        status, headers, body, _ = read_response(s)
        check(status == 200 and b"<regionInfo>" in body and headers.get("content-type", "").startswith("text/xml"), "keep-alive request answered")

    # Pipelining: three requests in one write, answered in order (a change, a read, a change).
    s.sendall(request("Action=CreateVpc&CidrBlock=10.9.0.0/16&Version=2016-11-15")
              + request("Action=DescribeVpcs&Filter.1.Name=cidr&Filter.1.Value.1=10.9.0.0/16&Version=2016-11-15")
              + request("Action=CreateVpc&Version=2016-11-15"))
    status1, _, body1, rest = read_response(s)
    status2, _, body2, rest = read_response(s, rest)
    status3, _, body3, rest = read_response(s, rest)
    check(status1 == 200 and b"<CreateVpcResponse" in body1, "pipelined: first answer is the CreateVpc")
    check(status2 == 200 and b"<DescribeVpcsResponse" in body2 and b"10.9.0.0/16" in body2, "pipelined: second answer is the DescribeVpcs, and sees the first")
    check(status3 == 400 and b"MissingParameter" in body3, "pipelined: third answer is the CreateVpc error")

    # A body split across several writes.
    whole = request("Action=DescribeAvailabilityZones&Version=2016-11-15")
    for index in range(0, len(whole), 7):
        s.sendall(whole[index:index + 7])
        time.sleep(0.002)
    status, _, body, _ = read_response(s)
    check(status == 200 and b"us-east-1a" in body, "a request that arrives a few bytes at a time")

    # Expect: 100-continue gets the interim response before the body is sent.
    s.sendall(request("Action=DescribeRegions&Version=2016-11-15", "Expect: 100-continue\r\n").split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n")
    interim = s.recv(100)
    check(interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), "Expect: 100-continue -> 100 Continue")
    s.sendall(b"Action=DescribeRegions&Version=2016-11-15")
    status, _, body, _ = read_response(s, interim[len(b"HTTP/1.1 100 Continue\r\n\r\n"):])
    check(status == 200 and b"<regionInfo>" in body, "the body sent after 100 Continue is answered")

    # Other paths and methods.
    s.sendall(f"GET /nowhere HTTP/1.1\r\nHost: {url.netloc}\r\n\r\n".encode())
    status, _, _, _ = read_response(s)
    check(status == 404, "an unknown path -> 404, connection kept")
    s.sendall(f"GET /?Action=DescribeRegions&Version=2016-11-15 HTTP/1.1\r\nHost: {url.netloc}\r\n\r\n".encode())
    status, _, body, _ = read_response(s)
    check(status == 200 and b"<regionInfo>" in body, "GET with the parameters in the query string")
    s.close()

    # HTTP/1.0 without keep-alive: answered, then closed.
    s = connect()
    s.sendall(f"GET /?Action=DescribeRegions&Version=2016-11-15 HTTP/1.0\r\n\r\n".encode())
    status, headers, body, _ = read_response(s)
    check(status == 200 and headers.get("connection") == "close" and closed(s), "HTTP/1.0: answered with Connection: close, then closed")

    # What cannot be read: answered with the HTTP error, then closed; the server stays up.
    for raw, expected, what in [
        (b"NOT HTTP AT ALL\r\n\r\n", 400, "a malformed request line -> 400"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", 400, "conflicting Content-Length -> 400"),
        (b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 411, "a chunked body -> 411 Length Required"),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n", 431, "a 70 KB head -> 431"),
        (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 400, "an unsupported HTTP version -> 400"),
    ]:
        s = connect()
        s.sendall(raw)
        status, headers, _, _ = read_response(s)
        check(status == expected and headers.get("connection") == "close" and closed(s), what)

    # A body over 1 MiB is counted off, answered with 413, and the connection still serves.
    s = connect()
    big = "Action=DescribeRegions&Version=2016-11-15&Pad=" + "A" * (2 << 20)
    s.sendall(request(big))
    status, _, body, _ = read_response(s)
    check(status == 413 and b"RequestEntityTooLarge" in body, "a 2 MiB body -> 413 RequestEntityTooLarge")
    s.sendall(request("Action=DescribeRegions&Version=2016-11-15"))
    status, _, body, _ = read_response(s)
    check(status == 200, "the connection serves the next request after the 413")
    s.close()


run(main)
