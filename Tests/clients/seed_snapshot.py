"""A snapshot of an account taken with the aws CLI: the seed design built through the CLI against
`localvpc serve`, then every describe call LocalVPC reads written to a folder, one JSON body per file,
as a user captures a real account.

Usage: seed_snapshot.py URL FOLDER
"""
import json
import os
import sys

from seed_common import AwsCli, build_seed_with_cli, check, run

url, folder = sys.argv[1], sys.argv[2]
aws = AwsCli(url)


def main():
    ids = build_seed_with_cli(aws)
    # People name instances with Name tags; the snapshot's names come from them.
    for name, instance in [("nat", ids["nat"]), ("web-1", ids["webs"][0]), ("web-2", ids["webs"][1])]:
        aws("ec2", "create-tags", "--resources", instance, "--tags", f"Key=Name,Value={name}")
    os.makedirs(folder, exist_ok=True)
    calls = [("ec2", "describe-vpcs"), ("ec2", "describe-subnets"), ("ec2", "describe-route-tables"),
             ("ec2", "describe-security-groups"), ("ec2", "describe-network-acls"), ("ec2", "describe-instances"),
             ("ec2", "describe-network-interfaces"), ("ec2", "describe-addresses"), ("ec2", "describe-nat-gateways"),
             ("ec2", "describe-internet-gateways"), ("elb", "describe-load-balancers")]
    for service, call in calls:
        body = aws(service, call)
        check(isinstance(body, dict) and len(body) >= 1, f"{service} {call} answers a JSON body")
        with open(os.path.join(folder, f"{service}-{call}.json"), "w") as out:
            json.dump(body, out)


run(main)
