"""With `serve --credentials AKIDLOCALVPC:s3cret`: SigV4 is verified as AWS does."""
import sys

import boto3
import botocore.exceptions

from seed_common import check, run

url = sys.argv[1]


def client(key, secret, service="ec2"):
    return boto3.client(service, endpoint_url=url, region_name="eu-west-1", aws_access_key_id=key, aws_secret_access_key=secret)


def code(call):
    try:
        call()
    except botocore.exceptions.ClientError as error:
        return error.response["Error"]["Code"]
    return "OK"


def main():
    good = client("AKIDLOCALVPC", "s3cret")
    check(good.describe_vpcs()["Vpcs"][0]["IsDefault"], "a request signed with the configured secret is accepted")
    vpc = good.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "signed & sealed"}]}])["Vpc"]["VpcId"]
    check(good.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["VpcId"] == vpc, "a signed POST with a body that needs encoding is accepted")
    check(client("AKIDLOCALVPC", "s3cret", "elb").describe_load_balancers()["LoadBalancerDescriptions"] == [], "ELB requests are verified too")
    check(code(lambda: client("AKIDLOCALVPC", "wrong").describe_vpcs()) == "SignatureDoesNotMatch", "a wrong secret -> SignatureDoesNotMatch")
    check(code(lambda: client("AKIDUNKNOWN", "s3cret").describe_vpcs()) == "AuthFailure", "an unknown access key -> AuthFailure")
    check(code(lambda: client("AKIDLOCALVPC", "wrong", "elb").describe_load_balancers()) == "SignatureDoesNotMatch", "ELB: wrong secret refused")
    check(len(good.describe_vpcs()["Vpcs"]) == 2, "refused calls changed nothing")


run(main)
