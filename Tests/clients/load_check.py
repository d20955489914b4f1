"""After `localvpc serve --load examples/seed-elb-nat-fixed.yaml`: the file's network is there, by name."""
import sys

import boto3

from seed_common import check, run

url = sys.argv[1]


def main():
    ec2 = boto3.client("ec2", endpoint_url=url, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
    names = {}
    for reservation in ec2.describe_instances()["Reservations"]:
        for instance in reservation["Instances"]:
            tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
            names[tags.get("Name")] = instance["InstanceId"]
    check(set(names) == {"nat", "web-1", "web-2"}, f"the file's instances are there with Name tags ({sorted(map(str, names))})")
    vpcs = ec2.describe_vpcs()["Vpcs"]
    check(sorted((v["CidrBlock"], v["IsDefault"]) for v in vpcs) == [("10.0.0.0/16", False), ("172.31.0.0/16", True)],
          "the region holds the file's VPC beside its default VPC (every region has one)")
    seed = next(v["VpcId"] for v in vpcs if not v["IsDefault"])
    gateway = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [seed]}])["InternetGateways"][0]["InternetGatewayId"]
    path = ec2.create_network_insights_path(Source=names["web-1"], Destination=gateway, Protocol="tcp", DestinationPort=443)["NetworkInsightsPath"]
    analysis = ec2.start_network_insights_analysis(NetworkInsightsPathId=path["NetworkInsightsPathId"])["NetworkInsightsAnalysis"]
    check(analysis["NetworkPathFound"] is True, "web-1 reaches the internet on 443 in the corrected design")
    ec2.stop_instances(InstanceIds=[names["nat"]])
    path = ec2.create_network_insights_path(Source=names["web-1"], Destination=gateway, Protocol="tcp", DestinationPort=443)["NetworkInsightsPath"]
    analysis = ec2.start_network_insights_analysis(NetworkInsightsPathId=path["NetworkInsightsPathId"])["NetworkInsightsAnalysis"]
    check(analysis["NetworkPathFound"] is False, "stopping the loaded NAT instance ends outbound access")


run(main)
