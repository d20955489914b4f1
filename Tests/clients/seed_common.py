"""Shared helpers for the client tests: build the seed design (SYSTEM.md) through an API client."""
import json
import os
import subprocess
import sys


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)
    print("ok -", message)


def boto_client(url, service, key, secret="secret", region="us-east-1"):
    """A boto3 client of LocalVPC's endpoint."""
    import boto3
    return boto3.client(service, endpoint_url=url, region_name=region, aws_access_key_id=key, aws_secret_access_key=secret)


def client_error(call):
    """The AWS error a call gets, as (code, HTTP status, message); ("OK", 200, "") when it succeeds."""
    import botocore.exceptions
    try:
        call()
    except botocore.exceptions.ClientError as error:
        return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"], error.response["Error"]["Message"]
    return "OK", 200, ""


class AwsCli:
    """Calls the real `aws` CLI against LocalVPC; returns parsed JSON."""

    def __init__(self, url, region="us-east-1"):
        self.url = url
        self.env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION=region,
                        AWS_PAGER="", AWS_EC2_METADATA_DISABLED="true")

    def __call__(self, service, operation, *args, expect_error=None):
        command = ["aws", "--endpoint-url", self.url, "--output", "json", service, operation, *args]
        result = subprocess.run(command, capture_output=True, text=True, env=self.env, timeout=60)
        if expect_error:
            check(result.returncode != 0 and expect_error in result.stderr,
                  f"{service} {operation} fails with {expect_error} (stderr: {result.stderr.strip()[:200]})")
            return result.stderr
        if result.returncode != 0:
            raise Failure(f"aws {service} {operation} {' '.join(args)} failed: {result.stderr.strip()}")
        return json.loads(result.stdout) if result.stdout.strip() else {}


def build_seed_with_cli(aws):
    """The seed design, step by step, exactly as an AWS user builds it with the CLI."""
    ec2 = lambda op, *a, **k: aws("ec2", op, *a, **k)
    elb = lambda op, *a, **k: aws("elb", op, *a, **k)
    vpc = ec2("create-vpc", "--cidr-block", "10.0.0.0/16",
              "--tag-specifications", "ResourceType=vpc,Tags=[{Key=Name,Value=seed}]")["Vpc"]["VpcId"]
    public = ec2("create-subnet", "--vpc-id", vpc, "--cidr-block", "10.0.0.0/24", "--availability-zone", "us-east-1a")["Subnet"]["SubnetId"]
    private = ec2("create-subnet", "--vpc-id", vpc, "--cidr-block", "10.0.1.0/24", "--availability-zone", "us-east-1a")["Subnet"]["SubnetId"]
    igw = ec2("create-internet-gateway")["InternetGateway"]["InternetGatewayId"]
    ec2("attach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc)
    public_rt = ec2("create-route-table", "--vpc-id", vpc)["RouteTable"]["RouteTableId"]
    ec2("create-route", "--route-table-id", public_rt, "--destination-cidr-block", "0.0.0.0/0", "--gateway-id", igw)
    ec2("associate-route-table", "--route-table-id", public_rt, "--subnet-id", public)

    elb_sg = ec2("create-security-group", "--group-name", "elb-sg", "--description", "ELB", "--vpc-id", vpc)["GroupId"]
    web_sg = ec2("create-security-group", "--group-name", "web-sg", "--description", "web", "--vpc-id", vpc)["GroupId"]
    nat_sg = ec2("create-security-group", "--group-name", "nat-sg", "--description", "NAT", "--vpc-id", vpc)["GroupId"]
    for port in (80, 443):
        ec2("authorize-security-group-ingress", "--group-id", elb_sg, "--protocol", "tcp", "--port", str(port), "--cidr", "0.0.0.0/0")
        ec2("authorize-security-group-ingress", "--group-id", nat_sg, "--protocol", "tcp", "--port", str(port), "--cidr", "10.0.1.0/24")
    # ELB: outbound 80 to the web group only; web: inbound 80 from the ELB group, outbound to the NAT group only.
    for group in (elb_sg, web_sg, nat_sg):
        ec2("revoke-security-group-egress", "--group-id", group, "--ip-permissions", "IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]")
    for port in (80, 443):
        ec2("authorize-security-group-egress", "--group-id", nat_sg, "--protocol", "tcp", "--port", str(port), "--cidr", "0.0.0.0/0")
    ec2("authorize-security-group-egress", "--group-id", elb_sg, "--ip-permissions", f"IpProtocol=tcp,FromPort=80,ToPort=80,UserIdGroupPairs=[{{GroupId={web_sg}}}]")
    ec2("authorize-security-group-ingress", "--group-id", web_sg, "--ip-permissions", f"IpProtocol=tcp,FromPort=80,ToPort=80,UserIdGroupPairs=[{{GroupId={elb_sg}}}]")
    ec2("authorize-security-group-egress", "--group-id", web_sg, "--ip-permissions", f"IpProtocol=-1,UserIdGroupPairs=[{{GroupId={nat_sg}}}]")

    nat = ec2("run-instances", "--image-id", "ami-vpc-nat-hvm", "--count", "1", "--instance-type", "t3.micro",
              "--subnet-id", public, "--security-group-ids", nat_sg)["Instances"][0]["InstanceId"]
    ec2("modify-instance-attribute", "--instance-id", nat, "--no-source-dest-check")
    allocation = ec2("allocate-address", "--domain", "vpc")["AllocationId"]
    ec2("associate-address", "--instance-id", nat, "--allocation-id", allocation)
    private_rt = ec2("create-route-table", "--vpc-id", vpc)["RouteTable"]["RouteTableId"]
    ec2("create-route", "--route-table-id", private_rt, "--destination-cidr-block", "0.0.0.0/0", "--instance-id", nat)
    ec2("associate-route-table", "--route-table-id", private_rt, "--subnet-id", private)
    webs = [i["InstanceId"] for i in ec2("run-instances", "--image-id", "ami-12345678", "--count", "2", "--subnet-id", private,
                                         "--security-group-ids", web_sg)["Instances"]]
    elb("create-load-balancer", "--load-balancer-name", "seed-elb", "--subnets", public, "--security-groups", elb_sg,
        "--listeners", "Protocol=HTTP,LoadBalancerPort=80,InstanceProtocol=HTTP,InstancePort=80",
        "Protocol=HTTPS,LoadBalancerPort=443,InstanceProtocol=HTTP,InstancePort=80,SSLCertificateId=arn:aws:iam::123456789012:server-certificate/seed")
    elb("register-instances-with-load-balancer", "--load-balancer-name", "seed-elb", "--instances", *webs)
    elb("configure-health-check", "--load-balancer-name", "seed-elb",
        "--health-check", "Target=HTTP:80/index.html,Interval=30,Timeout=5,UnhealthyThreshold=2,HealthyThreshold=10")
    return dict(vpc=vpc, public=public, private=private, igw=igw, public_rt=public_rt, private_rt=private_rt, elb_sg=elb_sg,
                web_sg=web_sg, nat_sg=nat_sg, nat=nat, allocation=allocation, webs=webs)


def analyze(aws, source, destination, port, protocol="tcp"):
    path = aws("ec2", "create-network-insights-path", "--source", source, "--destination", destination,
               "--protocol", protocol, "--destination-port", str(port))["NetworkInsightsPath"]["NetworkInsightsPathId"]
    started = aws("ec2", "start-network-insights-analysis", "--network-insights-path-id", path)["NetworkInsightsAnalysis"]
    described = aws("ec2", "describe-network-insights-analyses", "--network-insights-analysis-ids",
                    started["NetworkInsightsAnalysisId"])["NetworkInsightsAnalyses"][0]
    return described


def run(main):
    try:
        main()
    except Failure as failure:
        print("FAILED:", failure)
        sys.exit(1)
    print("all checks passed")
