"""The claims of a design loaded with `serve --load` (its intents and scopes) are verified again after
every API change: read from /console/api/claims and shown by `localvpc status`.

Usage: claims.py URL LOCALVPC_BINARY
"""
import json
import subprocess
import sys
import time
import urllib.request

from seed_common import AwsCli, check, run

url, binary = sys.argv[1], sys.argv[2]
aws = AwsCli(url)


def claims():
    with urllib.request.urlopen(url + "/console/api/claims?region=us-east-1", timeout=10) as answer:
        return json.load(answer)


def main():
    first = claims()
    check(first["loaded"] and len(first["intents"]) == 8 and len(first["scopes"]) == 2, "the fixed seed's 8 intents and 2 scopes are kept")
    check(all(c["holds"] for c in first["intents"] + first["scopes"]), "all hold as loaded")
    group = aws("ec2", "describe-security-groups", "--filters", "Name=group-name,Values=web-sg")["SecurityGroups"][0]["GroupId"]
    aws("ec2", "revoke-security-group-egress", "--group-id", group, "--protocol", "tcp", "--port", "443", "--cidr", "0.0.0.0/0")
    deadline = time.time() + 5
    after = claims()
    while after["version"] == first["version"] and time.time() < deadline:
        time.sleep(0.1)
        after = claims()
    failing = [c["name"] for c in after["intents"] if not c["holds"]]
    check(any("HTTPS" in name for name in failing), f"revoking web-sg's 443 egress fails the HTTPS intent ({failing})")
    check(after["analysesRun"] < 26, f"only what the change touched was analysed again ({after['analysesRun']} analyses)")
    status = subprocess.run([binary, "status", "--endpoint", url], capture_output=True, text=True, timeout=30)
    check(status.returncode == 0 and "CLAIMS" in status.stdout and "FAIL  intent: web servers reach the internet (HTTPS)" in status.stdout,
          f"localvpc status shows the failing claim ({status.stdout[-400:]})")


run(main)
