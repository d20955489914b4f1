"""With `serve --credentials`: botocore-signed requests at a mocked clock. A signature dated more than
15 minutes before (or after) the server's clock is refused — EC2 with RequestExpired, ELB with
SignatureDoesNotMatch "Signature expired" — so a captured request cannot be replayed; within the window
it is accepted.

Usage: signature_window.py URL
"""
import datetime
import sys
from unittest import mock

import botocore.auth

from seed_common import boto_client, check, client_error, run

url = sys.argv[1]


def client(service):
    return boto_client(url, service, "AKIDLOCALVPC", "s3cret")


def error(call):
    code, _, message = client_error(call)
    return code, message


def signed_at(offset, call):
    """Runs a call whose signature botocore dates `offset` from now (the clock botocore signs with is mocked)."""
    moment = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) + offset
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=moment):
        return error(call)


def main():
    ec2, elb = client("ec2"), client("elb")
    check(signed_at(datetime.timedelta(0), ec2.describe_vpcs)[0] == "OK", "a fresh signature is accepted")
    check(signed_at(datetime.timedelta(minutes=-10), ec2.describe_vpcs)[0] == "OK", "10 minutes old is within the window")
    code, message = signed_at(datetime.timedelta(days=-3 * 365), ec2.describe_vpcs)
    check(code == "RequestExpired" and message == "Request has expired.", f"a signature three years old -> RequestExpired ({code}: {message})")
    code, _ = signed_at(datetime.timedelta(minutes=-20), ec2.describe_vpcs)
    check(code == "RequestExpired", "20 minutes old -> RequestExpired")
    code, _ = signed_at(datetime.timedelta(minutes=20), ec2.describe_vpcs)
    check(code == "RequestExpired", "20 minutes in the future -> RequestExpired")
    code, message = signed_at(datetime.timedelta(hours=-2), elb.describe_load_balancers)
    check(code == "SignatureDoesNotMatch" and message.startswith("Signature expired: ") and "- 15 min.)" in message,
          f"ELB: an old signature -> SignatureDoesNotMatch, Signature expired ({code}: {message})")
    replayed = signed_at(datetime.timedelta(days=-400), lambda: ec2.create_vpc(CidrBlock="10.9.0.0/16"))
    check(replayed[0] == "RequestExpired", "a replayed write is refused")
    check(all(v["CidrBlock"] != "10.9.0.0/16" for v in ec2.describe_vpcs()["Vpcs"]), "and changes nothing")


run(main)
