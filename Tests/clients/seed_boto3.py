"""The seed design through boto3 (unchanged, endpoint_url only), plus regions and hostile requests."""
import http.client
import sys
import urllib.parse

import boto3
import botocore.exceptions

from seed_common import check, run

url = sys.argv[1]
host, port = urllib.parse.urlparse(url).hostname, urllib.parse.urlparse(url).port


def client(service, region="us-east-1"):
    return boto3.client(service, endpoint_url=url, region_name=region, aws_access_key_id="test", aws_secret_access_key="test")


def error_code(call):
    try:
        call()
    except botocore.exceptions.ClientError as error:
        return error.response["Error"]["Code"]
    return None


def raw(method, path, body=None, headers=None):
    connection = http.client.HTTPConnection(host, port, timeout=10)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read().decode("utf-8", "replace")
    connection.close()
    return response.status, data


def main():
    ec2 = client("ec2")
    elb = client("elb")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "seed"}]}])["Vpc"]["VpcId"]
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=public_rt, SubnetId=public)
    sg = lambda name: ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
    elb_sg, web_sg, nat_sg = sg("elb-sg"), sg("web-sg"), sg("nat-sg")
    ec2.authorize_security_group_ingress(GroupId=elb_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]} for p in (80, 443)])
    for group in (elb_sg, web_sg, nat_sg):
        ec2.revoke_security_group_egress(GroupId=group, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.authorize_security_group_egress(GroupId=elb_sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": web_sg}]}])
    ec2.authorize_security_group_ingress(GroupId=web_sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": elb_sg}]}])
    ec2.authorize_security_group_egress(GroupId=web_sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]} for p in (80, 443)])
    ec2.authorize_security_group_ingress(GroupId=nat_sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": "10.0.1.0/24"}]} for p in (80, 443)])
    ec2.authorize_security_group_egress(GroupId=nat_sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]} for p in (80, 443)])
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [web_sg]}])["SecurityGroupRules"]
    check(len(rules) == 3 and all(r["SecurityGroupRuleId"].startswith("sgr-") for r in rules), "describe-security-group-rules lists the web SG's 3 rules")

    # A NAT instance by tag (localvpc:role=nat) instead of by image.
    nat = ec2.run_instances(ImageId="ami-0abcdef1234567890", MinCount=1, MaxCount=1, SubnetId=public, SecurityGroupIds=[nat_sg],
                            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "localvpc:role", "Value": "nat"}]}])["Instances"][0]["InstanceId"]
    ec2.modify_instance_attribute(InstanceId=nat, SourceDestCheck={"Value": False})
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(InstanceId=nat, AllocationId=allocation)
    private_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=private_rt, DestinationCidrBlock="0.0.0.0/0", InstanceId=nat)
    ec2.associate_route_table(RouteTableId=private_rt, SubnetId=private)
    webs = [i["InstanceId"] for i in ec2.run_instances(ImageId="ami-12345678", MinCount=2, MaxCount=2, SubnetId=private, SecurityGroupIds=[web_sg])["Instances"]]
    elb.create_load_balancer(LoadBalancerName="seed-elb", Subnets=[public], SecurityGroups=[elb_sg], Listeners=[
        {"Protocol": "HTTP", "LoadBalancerPort": 80, "InstanceProtocol": "HTTP", "InstancePort": 80},
        {"Protocol": "HTTPS", "LoadBalancerPort": 443, "InstanceProtocol": "HTTP", "InstancePort": 80, "SSLCertificateId": "arn:aws:iam::123456789012:server-certificate/seed"}])
    elb.register_instances_with_load_balancer(LoadBalancerName="seed-elb", Instances=[{"InstanceId": i} for i in webs])
    elb.modify_load_balancer_attributes(LoadBalancerName="seed-elb", LoadBalancerAttributes={"CrossZoneLoadBalancing": {"Enabled": True}})
    attributes = elb.describe_load_balancer_attributes(LoadBalancerName="seed-elb")["LoadBalancerAttributes"]
    check(attributes["CrossZoneLoadBalancing"]["Enabled"] is True, "ELB cross-zone attribute round-trips")
    described = elb.describe_load_balancers(LoadBalancerNames=["seed-elb"])["LoadBalancerDescriptions"][0]
    check(described["Scheme"] == "internet-facing" and described["VPCId"] == vpc and len(described["ListenerDescriptions"]) == 2, "describe-load-balancers")
    elb.add_tags(LoadBalancerNames=["seed-elb"], Tags=[{"Key": "team", "Value": "web"}])
    check(elb.describe_tags(LoadBalancerNames=["seed-elb"])["TagDescriptions"][0]["Tags"] == [{"Key": "team", "Value": "web"}], "ELB tags round-trip")

    def analysis(source, destination, port):
        path = ec2.create_network_insights_path(Source=source, Destination=destination, Protocol="tcp", DestinationPort=port)["NetworkInsightsPath"]["NetworkInsightsPathId"]
        analysis_id = ec2.start_network_insights_analysis(NetworkInsightsPathId=path)["NetworkInsightsAnalysis"]["NetworkInsightsAnalysisId"]
        return ec2.describe_network_insights_analyses(NetworkInsightsAnalysisIds=[analysis_id])["NetworkInsightsAnalyses"][0]

    out = analysis(webs[0], igw, 443)
    check(out["NetworkPathFound"] is True, "web-1 -> internet:443 is reachable through the NAT (tagged localvpc:role=nat)")
    hops = [c["Component"]["Id"] for c in out["ForwardPathComponents"]]
    check(nat in [c.get("AttachedTo", {}).get("Id") for c in out["ForwardPathComponents"]] and igw in hops, "the forward path passes the NAT instance and the IGW")
    check(all(isinstance(c["SequenceNumber"], int) for c in out["ForwardPathComponents"]), "path components carry sequence numbers")
    ec2.delete_tags(Resources=[nat], Tags=[{"Key": "localvpc:role"}])
    untagged = analysis(webs[0], igw, 443)
    codes = [e["ExplanationCode"] for e in untagged["Explanations"]]
    check(untagged["NetworkPathFound"] is False and "IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS" in codes,
          f"without the NAT role the instance forwards untranslated and the IGW drops the private source ({codes})")
    inbound = analysis(igw, webs[1], 22)
    check(inbound["NetworkPathFound"] is False and inbound["Explanations"], "internet -> web-2:22 is not reachable, with explanations")

    # Instance state transitions and public IPs.
    public_web = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, NetworkInterfaces=[
        {"DeviceIndex": 0, "SubnetId": public, "AssociatePublicIpAddress": True, "Groups": [web_sg]}])["Instances"][0]["InstanceId"]
    first_ip = ec2.describe_instances(InstanceIds=[public_web])["Reservations"][0]["Instances"][0].get("PublicIpAddress")
    check(first_ip is not None, "an instance launched with AssociatePublicIpAddress gets a public IP")
    ec2.stop_instances(InstanceIds=[public_web])
    check(ec2.describe_instances(InstanceIds=[public_web])["Reservations"][0]["Instances"][0].get("PublicIpAddress") is None,
          "an auto-assigned public IP is released on stop")
    ec2.start_instances(InstanceIds=[public_web])
    check(ec2.describe_instances(InstanceIds=[public_web])["Reservations"][0]["Instances"][0].get("PublicIpAddress") is not None,
          "a new public IP is assigned on start")
    terminated = ec2.terminate_instances(InstanceIds=[public_web])["TerminatingInstances"][0]
    check(terminated["CurrentState"]["Name"] == "shutting-down", "terminate-instances reports shutting-down")

    # Errors with AWS's codes.
    check(error_code(lambda: ec2.create_vpc(CidrBlock="10.0.0.0/33")) == "InvalidParameterValue", "invalid CIDR -> InvalidParameterValue")
    check(error_code(lambda: ec2.delete_security_group(GroupId=web_sg)) == "DependencyViolation", "deleting an SG in use -> DependencyViolation")
    check(error_code(lambda: ec2.describe_instances(InstanceIds=["i-0000000000000dead"])) == "InvalidInstanceID.NotFound", "unknown instance")
    check(error_code(lambda: ec2.create_security_group(GroupName="web-sg", Description="again", VpcId=vpc)) == "InvalidGroup.Duplicate", "duplicate SG name")
    check(error_code(lambda: ec2.release_address(AllocationId=allocation)) == "InvalidIPAddress.InUse", "releasing an associated EIP")
    check(error_code(lambda: elb.create_load_balancer(LoadBalancerName="seed-elb", Subnets=[public], Listeners=[
        {"Protocol": "HTTP", "LoadBalancerPort": 80, "InstanceProtocol": "HTTP", "InstancePort": 80}])) == "DuplicateLoadBalancerName", "duplicate ELB")

    # Regions: state is per region, and every region starts with a default VPC.
    west = client("ec2", "eu-west-1")
    west_vpcs = west.describe_vpcs()["Vpcs"]
    check(len(west_vpcs) == 1 and west_vpcs[0]["IsDefault"] and west_vpcs[0]["CidrBlock"] == "172.31.0.0/16", "eu-west-1 has only its default VPC")
    check(len(west.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]) == 3, "one default subnet per AZ")
    check(len(ec2.describe_vpcs()["Vpcs"]) == 2, "us-east-1 has the default VPC and the seed VPC")
    zones = ec2.describe_availability_zones()["AvailabilityZones"]
    check([z["ZoneName"] for z in zones] == ["us-east-1a", "us-east-1b", "us-east-1c"], "describe-availability-zones")
    check(any(r["RegionName"] == "eu-west-1" for r in ec2.describe_regions()["Regions"]), "describe-regions")
    attributes = {a["AttributeName"]: a for a in ec2.describe_account_attributes()["AccountAttributes"]}
    check(attributes["default-vpc"]["AttributeValues"][0]["AttributeValue"].startswith("vpc-"), "describe-account-attributes names the default VPC")

    # Hostile and malformed requests: AWS-shaped errors, the server stays up.
    status, body = raw("POST", "/", "Action=NoSuchAction&Version=2016-11-15", {"Content-Type": "application/x-www-form-urlencoded"})
    check(status == 400 and "<Code>InvalidAction</Code>" in body and "<RequestID>" in body, "unknown action -> InvalidAction")
    status, body = raw("POST", "/", "Version=2016-11-15", {"Content-Type": "application/x-www-form-urlencoded"})
    check(status == 400 and "MissingAction" in body, "no Action -> MissingAction")
    status, body = raw("POST", "/", "Action=CreateVpc&Version=2016-11-15", {"Content-Type": "application/x-www-form-urlencoded"})
    check(status == 400 and "<Code>MissingParameter</Code>" in body, "CreateVpc without CidrBlock -> MissingParameter")
    status, body = raw("POST", "/", "Action=CreateVpc&CidrBlock=%ZZ", {"Content-Type": "application/x-www-form-urlencoded"})
    check(status == 400 and "MalformedQueryString" in body, "bad percent-encoding -> MalformedQueryString")
    status, body = raw("POST", "/", b"Action=DescribeVpcs&X=\xff\xfe", {"Content-Type": "application/x-www-form-urlencoded"})
    check(status == 400 and "MalformedQueryString" in body, "invalid UTF-8 -> MalformedQueryString")
    status, body = raw("POST", "/", "Action=DescribeVpcs&" + "A" * (2 << 20), {"Content-Type": "application/x-www-form-urlencoded"})
    check(status == 413, "a 2 MiB body -> 413")
    status, body = raw("POST", "/", "Action=DescribeVpcs&Version=2016-11-15", {"Authorization": "AWS4-HMAC-SHA256 Credential=AK/20261129/mars-1/ec2/aws4_request, SignedHeaders=host, Signature=x"})
    check(status == 401 and "AuthFailure" in body, "an unknown region -> AuthFailure")
    status, body = raw("POST", "/", "Action=DescribeLoadBalancers&Version=2012-06-01&LoadBalancerNames.member.1=nope", {"Content-Type": "application/x-www-form-urlencoded"})
    check(status == 400 and "<ErrorResponse" in body and "<Type>Sender</Type>" in body and "LoadBalancerNotFound" in body, "ELB errors use ELB's ErrorResponse shape")
    status, body = raw("GET", "/?Action=DescribeRegions&Version=2016-11-15")
    check(status == 200 and "<regionInfo>" in body, "GET requests work too")
    check(len(ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"]) == 1, "the server is still up and the state intact after hostile requests")


run(main)
