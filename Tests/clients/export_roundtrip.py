"""`localvpc export` then `localvpc serve --load` of the file, into a new state: every resource keeps
the ID it had in the API state, and the region still has its default VPC (every AWS region has one: VPC
User Guide, "Default VPCs").

Usage: export_roundtrip.py URL IDS_JSON   (IDS_JSON: the IDs seed_aws_cli.py build wrote)
"""
import json
import sys

from seed_common import boto_client, check, run

url, ids_file = sys.argv[1], sys.argv[2]


def main():
    with open(ids_file) as handle:
        ids = json.load(handle)
    ec2 = boto_client(url, "ec2", "AKIDROUNDTRIP")
    elb = boto_client(url, "elb", "AKIDROUNDTRIP")
    check([v["VpcId"] for v in ec2.describe_vpcs(VpcIds=[ids["vpc"]])["Vpcs"]] == [ids["vpc"]], "the VPC keeps its ID")
    subnets = {s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [ids["vpc"]]}])["Subnets"]}
    check(subnets == {ids["public"], ids["private"]}, "the subnets keep their IDs")
    gateways = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [ids["vpc"]]}])["InternetGateways"]
    check([g["InternetGatewayId"] for g in gateways] == [ids["igw"]], "the internet gateway keeps its ID and its attachment")
    tables = {t["RouteTableId"]: t for t in ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [ids["vpc"]]}])["RouteTables"]}
    check({ids["public_rt"], ids["private_rt"]} <= set(tables), "the route tables keep their IDs")
    check(any(r.get("InstanceId") == ids["nat"] for r in tables[ids["private_rt"]]["Routes"]), "the private route still targets the NAT instance by its ID")
    groups = {g["GroupId"] for g in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [ids["vpc"]]}])["SecurityGroups"]}
    check({ids["elb_sg"], ids["web_sg"], ids["nat_sg"]} <= groups, "the security groups keep their IDs")
    web_sg = ec2.describe_security_groups(GroupIds=[ids["web_sg"]])["SecurityGroups"][0]
    check(any(p["UserIdGroupPairs"] and p["UserIdGroupPairs"][0]["GroupId"] == ids["elb_sg"] for p in web_sg["IpPermissions"]),
          "a rule that names a group names it by its kept ID")
    instances = [i for r in ec2.describe_instances(InstanceIds=[ids["nat"], *ids["webs"]])["Reservations"] for i in r["Instances"]]
    check(sorted(i["InstanceId"] for i in instances) == sorted([ids["nat"], *ids["webs"]]), "the instances keep their IDs")
    addresses = ec2.describe_addresses(AllocationIds=[ids["allocation"]])["Addresses"]
    check(addresses[0].get("InstanceId") == ids["nat"], "the Elastic IP keeps its allocation ID and its association")
    balancer = elb.describe_load_balancers(LoadBalancerNames=["seed-elb"])["LoadBalancerDescriptions"][0]
    check(sorted(i["InstanceId"] for i in balancer["Instances"]) == sorted(ids["webs"]), "the load balancer keeps its instances by ID")
    default = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    check(len(default) == 1 and default[0]["CidrBlock"] == "172.31.0.0/16", "the region keeps a default VPC")
    default_subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
    check(len(default_subnets) == 3 and all(s["VpcId"] == default[0]["VpcId"] for s in default_subnets), "with its default subnets")


run(main)
