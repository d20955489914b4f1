"""The calls tools make around the networking core, through boto3: DryRun (EC2 API Reference, "Common
query parameters"), sts:GetCallerIdentity, and the reset endpoints test suites written for a local mock use.

Usage: compat.py URL
"""
import sys
import urllib.request

from seed_common import AwsCli, boto_client, check, client_error, run

url = sys.argv[1]
failure = client_error


def client(service):
    return boto_client(url, service, "AKIDTOOLS")


def main():
    ec2 = client("ec2")
    before = len(ec2.describe_vpcs()["Vpcs"])
    code, status, message = failure(lambda: ec2.create_vpc(CidrBlock="10.5.0.0/16", DryRun=True))
    check((code, status, message) == ("DryRunOperation", 412, "Request would have succeeded, but DryRun flag is set."),
          f"CreateVpc with DryRun -> DryRunOperation, HTTP 412 ({code} {status} {message})")
    check(len(ec2.describe_vpcs()["Vpcs"]) == before, "a dry run changes nothing")
    check(failure(lambda: ec2.create_vpc(CidrBlock="10.5.0.0/99", DryRun=True))[0] == "InvalidParameterValue",
          "a dry run that would fail fails as the call would")
    check(failure(lambda: ec2.describe_vpcs(DryRun=True))[0] == "DryRunOperation", "a read with DryRun -> DryRunOperation too")
    check(failure(lambda: ec2.delete_vpc(VpcId="vpc-0000000000000dead", DryRun=True))[0] == "InvalidVpcID.NotFound",
          "a dry run names the missing resource")

    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    running, stopped = [i["InstanceId"] for i in ec2.run_instances(ImageId="ami-1", MinCount=2, MaxCount=2, SubnetId=subnet)["Instances"]]
    ec2.stop_instances(InstanceIds=[stopped])
    statuses = ec2.describe_instance_status()["InstanceStatuses"]
    check([s["InstanceId"] for s in statuses] == [running] and statuses[0]["InstanceState"]["Name"] == "running"
          and statuses[0]["SystemStatus"]["Status"] == "ok" and statuses[0]["InstanceStatus"]["Details"][0]["Status"] == "passed",
          "DescribeInstanceStatus: running instances, their checks passed")
    every = ec2.describe_instance_status(IncludeAllInstances=True)["InstanceStatuses"]
    check(sorted(s["InstanceId"] for s in every) == sorted([running, stopped]), "IncludeAllInstances adds the stopped one")

    elb = client("elb")
    elb.create_load_balancer(LoadBalancerName="by-zones", AvailabilityZones=["us-east-1a", "us-east-1b"],
                             Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}])
    described = elb.describe_load_balancers(LoadBalancerNames=["by-zones"])["LoadBalancerDescriptions"][0]
    defaults = {s["AvailabilityZone"]: s["SubnetId"] for s in ec2.describe_subnets()["Subnets"] if s["DefaultForAz"]}
    check(sorted(described["Subnets"]) == sorted([defaults["us-east-1a"], defaults["us-east-1b"]]),
          "CreateLoadBalancer with AvailabilityZones only: the default VPC's default subnets of those zones")
    group = ec2.describe_security_groups(GroupIds=described["SecurityGroups"])["SecurityGroups"][0]
    check(group["GroupName"].startswith("default_elb_") and any(p.get("FromPort") == 80 and p["IpRanges"][0]["CidrIp"] == "0.0.0.0/0"
                                                               for p in group["IpPermissions"]),
          "and ELB's default_elb group, open on its listener port")

    identity = client("sts").get_caller_identity()
    check(identity["Account"] == "123456789012" and identity["UserId"] == "AKIDTOOLS" and identity["Arn"].startswith("arn:aws:iam::123456789012:"),
          f"sts:GetCallerIdentity answers on the same endpoint ({identity['Arn']})")

    aws = AwsCli(url)
    check(aws("sts", "get-caller-identity")["Account"] == "123456789012", "aws CLI: sts get-caller-identity")
    aws("ec2", "create-vpc", "--cidr-block", "10.6.0.0/16", "--dry-run", expect_error="DryRunOperation")
    status = aws("ec2", "describe-instance-status", "--include-all-instances")["InstanceStatuses"]
    check(len(status) == 2, "aws CLI: describe-instance-status --include-all-instances")
    zones = aws("elb", "create-load-balancer", "--load-balancer-name", "cli-zones", "--availability-zones", "us-east-1c",
                "--listeners", "Protocol=HTTP,LoadBalancerPort=80,InstancePort=80")
    check(zones["DNSName"].startswith("cli-zones"), "aws CLI: elb create-load-balancer --availability-zones")

    vpc = ec2.create_vpc(CidrBlock="10.6.0.0/16")["Vpc"]["VpcId"]
    check(any(v["VpcId"] == vpc for v in ec2.describe_vpcs()["Vpcs"]), "a VPC created")
    for path in ["/moto-api/reset", "/_localvpc/reset"]:
        if path == "/_localvpc/reset":
            aws("ec2", "create-vpc", "--cidr-block", "10.6.0.0/16")  # something for this reset to forget
        answer = urllib.request.urlopen(urllib.request.Request(url + path, data=b"", method="POST"), timeout=10)
        check(answer.status == 200, f"POST {path} -> 200")
        vpcs = ec2.describe_vpcs()["Vpcs"]
        check(len(vpcs) == 1 and vpcs[0]["IsDefault"] and vpcs[0]["CidrBlock"] == "172.31.0.0/16",
              f"after {path} the region is a new account's: its default VPC only")


run(main)
