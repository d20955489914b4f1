"""Describe filters and pagination, launch templates, block devices and placement, and Classic ELB
attributes, through boto3 and the aws CLI (issue: drop-in compatibility).

- Every Filter.N name botocore's EC2 model documents for each implemented Describe action is accepted
  (EC2 API Reference, each action's "Filter.N"); the names tools use most select what they should.
- MaxResults/NextToken (EC2 API Reference, "Pagination"): pages of MaxResults items, then a token;
  MaxResults with instance IDs is InvalidParameterCombination.
- Launch templates and RunInstances from one, its network settings applying (EC2 User Guide, "Launch an
  instance from a launch template"; EC2 API Reference, RunInstances `LaunchTemplate`); BlockDeviceMappings
  (EC2 API Reference, BlockDeviceMapping/EbsBlockDevice; EBS User Guide, "Amazon EBS volume types" for the
  size ranges and the Iops of io1/io2) and Placement (EC2 API Reference, Placement) on RunInstances;
  ModifyLoadBalancerAttributes/DescribeLoadBalancerAttributes (Classic ELB API Reference,
  LoadBalancerAttributes: idle timeout 1-4000 s, draining timeout 1-3600 s, access log interval 5 or 60).

Usage: describe_api.py URL
"""
import re
import sys

import botocore.config
import botocore.session

from seed_common import AwsCli, boto_client, check, client_error, run

url = sys.argv[1]
ec2 = boto_client(url, "ec2", "AKIDDESCRIBE")
elb = boto_client(url, "elb", "AKIDDESCRIBE")
aws = AwsCli(url)
DESCRIBES = {
    "DescribeVpcs": "describe_vpcs", "DescribeSubnets": "describe_subnets", "DescribeRouteTables": "describe_route_tables",
    "DescribeSecurityGroups": "describe_security_groups", "DescribeSecurityGroupRules": "describe_security_group_rules",
    "DescribeNetworkAcls": "describe_network_acls", "DescribeInstances": "describe_instances",
    "DescribeNetworkInterfaces": "describe_network_interfaces", "DescribeAddresses": "describe_addresses",
    "DescribeNatGateways": "describe_nat_gateways", "DescribeInternetGateways": "describe_internet_gateways",
    "DescribeInstanceStatus": "describe_instance_status", "DescribeAvailabilityZones": "describe_availability_zones",
    "DescribeRegions": "describe_regions", "DescribeTags": "describe_tags", "DescribeLaunchTemplates": "describe_launch_templates",
    "DescribeNetworkInsightsPaths": "describe_network_insights_paths",
    "DescribeNetworkInsightsAnalyses": "describe_network_insights_analyses",
}


def documented_filters(operation):
    """The filter names of an action's `Filters` documentation in botocore's model."""
    model = botocore.session.get_session().get_service_model("ec2").operation_model(operation)
    members = model.input_shape.members
    doc = (members.get("Filters") or members["Filter"]).documentation
    names = re.findall(r"<li>\s*<p>\s*<code>([^<]+)</code>", doc) or re.findall(r"<li>\s*<p>\s*([a-z0-9][a-z0-9.:-]*) - ", doc)
    return sorted({"tag:Name" if n in ("tag", "tag:&lt;key&gt;", "tag:<key>") else n for n in names})


def ids(items, key):
    return sorted(item[key] for item in items)


def build():
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.1.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    other = ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.2.0/24", AvailabilityZone="us-east-1c")["Subnet"]["SubnetId"]
    ec2.create_subnet(VpcId=vpc, CidrBlock="10.8.3.0/24", AvailabilityZone="us-east-1a")
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    lb_sg = ec2.create_security_group(GroupName="lb", Description="lb", VpcId=vpc)["GroupId"]
    web_sg = ec2.create_security_group(GroupName="web", Description="web tier", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=web_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": lb_sg}]}])
    ec2.authorize_security_group_egress(GroupId=lb_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": web_sg}]}])
    webs = [i["InstanceId"] for i in ec2.run_instances(ImageId="ami-1", MinCount=7, MaxCount=7, SubnetId=subnet,
                                                         SecurityGroupIds=[web_sg])["Instances"]]
    ec2.create_tags(Resources=webs[:2], Tags=[{"Key": "Name", "Value": "web-front"}])
    return dict(vpc=vpc, subnet=subnet, other=other, igw=igw, table=table, lb_sg=lb_sg, web_sg=web_sg, webs=webs)


def filters(env):
    total = 0
    for operation, method in DESCRIBES.items():
        names = documented_filters(operation)
        for name in names:
            code, _, message = client_error(lambda: getattr(ec2, method)(Filters=[{"Name": name, "Values": ["no-such-value"]}]))
            check(code == "OK", f"{operation} accepts the documented filter {name} ({code} {message})") if code != "OK" else None
            total += 1
    check(total > 300, f"{total} documented filter names of {len(DESCRIBES)} Describe actions are all accepted")
    code, _, message = client_error(lambda: ec2.describe_vpcs(Filters=[{"Name": "no-such-filter", "Values": ["x"]}]))
    check(code == "InvalidParameterValue" and "no-such-filter" in message, "an undocumented filter name is InvalidParameterValue")

    vpc, web_sg, lb_sg, webs = env["vpc"], env["web_sg"], env["lb_sg"], env["webs"]
    f = lambda name, *values: [{"Name": name, "Values": list(values)}]
    account = ec2.describe_security_groups(GroupIds=[web_sg])["SecurityGroups"][0]["OwnerId"]
    check(len(ec2.describe_vpcs(Filters=f("owner-id", account))["Vpcs"]) == 2, "owner-id selects the account's VPCs")
    check(ids(ec2.describe_security_groups(Filters=f("egress.ip-permission.group-id", web_sg))["SecurityGroups"], "GroupId") == [lb_sg],
          "egress.ip-permission.group-id: the groups whose egress names the web group")
    check(ids(ec2.describe_security_groups(Filters=f("ip-permission.group-id", lb_sg))["SecurityGroups"], "GroupId") == [web_sg],
          "ip-permission.group-id: the groups whose ingress names the load balancer group")
    check(ids(ec2.describe_security_groups(Filters=f("description", "web*"))["SecurityGroups"], "GroupId") == [web_sg], "wildcards match")
    check(ids(ec2.describe_route_tables(Filters=f("association.route-table-id", env["table"]))["RouteTables"], "RouteTableId")
          == [env["table"]], "association.route-table-id")
    mains = ec2.describe_route_tables(Filters=f("vpc-id", vpc) + f("association.main", "true"))["RouteTables"]
    check(len(mains) == 1 and mains[0]["RouteTableId"] != env["table"], "association.main=true: the VPC's main table only")
    check(ids(ec2.describe_route_tables(Filters=f("route.gateway-id", env["igw"]))["RouteTables"], "RouteTableId") == [env["table"]],
          "route.gateway-id: the tables routing to the gateway")
    enis = ec2.describe_network_interfaces(Filters=f("attachment.instance-id", webs[0]))["NetworkInterfaces"]
    check(len(enis) == 1 and enis[0]["Attachment"]["InstanceId"] == webs[0], "attachment.instance-id: the instance's interface")
    address = enis[0]["PrivateIpAddress"]
    found = ec2.describe_instances(Filters=f("network-interface.addresses.private-ip-address", address))["Reservations"]
    check([i["InstanceId"] for r in found for i in r["Instances"]] == [webs[0]], "network-interface.addresses.private-ip-address")
    both = ec2.describe_instances(Filters=f("tag:Name", "web-*") + f("instance.group-id", web_sg))["Reservations"]
    check(sorted(i["InstanceId"] for r in both for i in r["Instances"]) == sorted(webs[:2]), "two filters: both must match")
    check(ec2.describe_instances(Filters=f("availability-zone", "us-east-1a") + f("vpc-id", vpc))["Reservations"] == [],
          "a filter no instance matches selects none")
    acls = ec2.describe_network_acls(Filters=f("vpc-id", vpc) + f("entry.rule-action", "deny") + f("default", "true"))["NetworkAcls"]
    check(len(acls) == 1, "entry.rule-action and default on network ACLs")
    cli = aws("ec2", "describe-subnets", "--filters", f"Name=vpc-id,Values={vpc}", "Name=availability-zone,Values=us-east-1c")
    check([s["SubnetId"] for s in cli["Subnets"]] == [env["other"]], "aws CLI: describe-subnets --filters")


def pagination(env):
    vpc = env["vpc"]
    f = [{"Name": "vpc-id", "Values": [vpc]}]
    first = ec2.describe_instances(Filters=f, MaxResults=5)
    got = [i["InstanceId"] for r in first["Reservations"] for i in r["Instances"]]
    check(len(got) == 5 and "NextToken" in first, "DescribeInstances MaxResults=5: five instances and a NextToken")
    second = ec2.describe_instances(Filters=f, MaxResults=5, NextToken=first["NextToken"])
    got += [i["InstanceId"] for r in second["Reservations"] for i in r["Instances"]]
    check(sorted(got) == sorted(env["webs"]) and "NextToken" not in second, "the second page ends it; no instance twice or missed")
    pages = list(ec2.get_paginator("describe_subnets").paginate(PaginationConfig={"PageSize": 5}))
    count = sum(len(p["Subnets"]) for p in pages)
    check(len(pages) == 2 and count == len(ec2.describe_subnets()["Subnets"]), f"boto3's paginator walks subnets in pages of 5 ({count})")
    code, _, _ = client_error(lambda: ec2.describe_instances(InstanceIds=env["webs"][:1], MaxResults=5))
    check(code == "InvalidParameterCombination", "MaxResults beside InstanceIds is InvalidParameterCombination")
    unchecked = botocore.session.get_session().create_client(
        "ec2", endpoint_url=url, region_name="us-east-1", aws_access_key_id="AKIDDESCRIBE", aws_secret_access_key="x",
        config=botocore.config.Config(parameter_validation=False))
    code, _, message = client_error(lambda: unchecked.describe_vpcs(MaxResults=4))
    check(code == "InvalidParameterValue" and "between 5 and 1000" in message, f"MaxResults=4 is refused ({message})")
    code, _, _ = client_error(lambda: ec2.describe_vpcs(NextToken="not-a-token"))
    check(code == "InvalidPaginationToken", "a token LocalVPC did not give is InvalidPaginationToken")
    cli = aws("ec2", "describe-instances", "--filters", f"Name=vpc-id,Values={vpc}", "--page-size", "5")
    check(sum(len(r["Instances"]) for r in cli["Reservations"]) == 7, "aws CLI: --page-size 5 follows the tokens to all 7 instances")


def launch_templates(env):
    data = {"ImageId": "ami-web", "InstanceType": "t3.small", "SecurityGroupIds": [env["web_sg"]],
            "NetworkInterfaces": [{"DeviceIndex": 0, "SubnetId": env["other"], "Groups": [env["web_sg"]]}],
            "BlockDeviceMappings": [{"DeviceName": "/dev/xvdb", "Ebs": {"VolumeSize": 20, "VolumeType": "gp3"}}],
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "tier", "Value": "web"}]}]}
    data.pop("SecurityGroupIds")  # EC2 refuses groups both on the template and its interfaces
    check(client_error(lambda: ec2.create_launch_template(LaunchTemplateName="web", LaunchTemplateData=data, DryRun=True))[0]
          == "DryRunOperation", "CreateLaunchTemplate with DryRun")
    template = ec2.create_launch_template(LaunchTemplateName="web", LaunchTemplateData=data)["LaunchTemplate"]
    check(template["LatestVersionNumber"] == 1 and template["LaunchTemplateId"].startswith("lt-"), "CreateLaunchTemplate: version 1")
    check(client_error(lambda: ec2.create_launch_template(LaunchTemplateName="web", LaunchTemplateData=data))[0]
          == "InvalidLaunchTemplateName.AlreadyExistsException", "a second template of the same name is refused")
    check(client_error(lambda: ec2.create_launch_template(LaunchTemplateName="a b", LaunchTemplateData=data))[0]
          == "InvalidLaunchTemplateName.MalformedException", "a name with a space is malformed")
    shown = ec2.describe_launch_templates(LaunchTemplateNames=["web"])["LaunchTemplates"]
    check([t["LaunchTemplateId"] for t in shown] == [template["LaunchTemplateId"]], "DescribeLaunchTemplates by name")
    check(client_error(lambda: ec2.describe_launch_templates(LaunchTemplateIds=["lt-0123456789abcdef0"]))[0]
          == "InvalidLaunchTemplateId.NotFound", "an unknown template ID")
    ec2.create_launch_template_version(LaunchTemplateId=template["LaunchTemplateId"], SourceVersion="1",
                                       LaunchTemplateData={"InstanceType": "t3.large"}, VersionDescription="bigger")
    versions = ec2.describe_launch_template_versions(LaunchTemplateId=template["LaunchTemplateId"])["LaunchTemplateVersions"]
    check(sorted(v["VersionNumber"] for v in versions) == [1, 2], "DescribeLaunchTemplateVersions: both versions")
    latest = ec2.describe_launch_template_versions(LaunchTemplateName="web", Versions=["$Latest"])["LaunchTemplateVersions"][0]
    check(latest["LaunchTemplateData"]["InstanceType"] == "t3.large" and latest["LaunchTemplateData"]["ImageId"] == "ami-web"
          and latest["LaunchTemplateData"]["NetworkInterfaces"][0]["Groups"] == [env["web_sg"]],
          "$Latest: the source version's data with the new instance type over it")
    check(len(ec2.describe_launch_template_versions(LaunchTemplateName="web", Filters=[
        {"Name": "instance-type", "Values": ["t3.small"]}])["LaunchTemplateVersions"]) == 1, "version filter instance-type")
    instance = ec2.run_instances(MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateName": "web"})["Instances"][0]
    check(instance["SubnetId"] == env["other"] and instance["Placement"]["AvailabilityZone"] == "us-east-1c"
          and [g["GroupId"] for g in instance["SecurityGroups"]] == [env["web_sg"]] and instance["InstanceType"] == "t3.small",
          "RunInstances from the template ($Default = 1): its subnet, zone, groups and type")
    tags = {t["Key"]: t["Value"] for t in instance["Tags"]}
    check(tags.get("tier") == "web" and tags.get("aws:ec2launchtemplate:id") == template["LaunchTemplateId"],
          "the template's tags, and the aws:ec2launchtemplate:id tag AWS adds")
    check([b["DeviceName"] for b in instance["BlockDeviceMappings"]] == ["/dev/xvda", "/dev/xvdb"], "the template's volume beside the root")
    ec2.modify_launch_template(LaunchTemplateName="web", DefaultVersion="2")
    over = ec2.run_instances(MinCount=1, MaxCount=1, InstanceType="t3.nano", LaunchTemplate={"LaunchTemplateName": "web"})["Instances"][0]
    check(over["InstanceType"] == "t3.nano", "the call's own parameters go over the template's")
    check(client_error(lambda: ec2.run_instances(MinCount=1, MaxCount=1, LaunchTemplate={"LaunchTemplateName": "web", "Version": "9"}))[0]
          == "InvalidLaunchTemplateId.VersionNotFound", "an unknown version")
    cli = aws("ec2", "describe-launch-templates", "--launch-template-names", "web")
    check(cli["LaunchTemplates"][0]["DefaultVersionNumber"] == 2, "aws CLI: describe-launch-templates shows the new default")
    ec2.delete_launch_template(LaunchTemplateName="web")
    check(client_error(lambda: ec2.describe_launch_templates(LaunchTemplateNames=["web"]))[0]
          == "InvalidLaunchTemplateName.NotFoundException", "DeleteLaunchTemplate: gone")


def devices_and_placement(env):
    run = lambda **kw: ec2.run_instances(ImageId="ami-1", MinCount=1, MaxCount=1, **kw)["Instances"][0]
    instance = run(Placement={"AvailabilityZone": "us-east-1b", "Tenancy": "dedicated"},
                   BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 30, "DeleteOnTermination": False}},
                                        {"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 100, "VolumeType": "io1", "Iops": 3000}}])
    check(instance["Placement"]["AvailabilityZone"] == "us-east-1b" and instance["Placement"]["Tenancy"] == "dedicated",
          "Placement: the default subnet of the zone asked for, and the tenancy")
    mappings = {b["DeviceName"]: b["Ebs"] for b in instance["BlockDeviceMappings"]}
    check(set(mappings) == {"/dev/xvda", "/dev/sdf"} and mappings["/dev/xvda"]["DeleteOnTermination"] is False
          and all(m["VolumeId"].startswith("vol-") for m in mappings.values()), "BlockDeviceMappings: each device with a volume")
    for kwargs, code in [
        (dict(BlockDeviceMappings=[{"DeviceName": "/dev/sdf", "Ebs": {"VolumeType": "fast"}}]), "InvalidParameterValue"),
        (dict(BlockDeviceMappings=[{"DeviceName": "/dev/sdf", "Ebs": {"VolumeType": "io1"}}]), "InvalidParameterCombination"),
        (dict(BlockDeviceMappings=[{"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 20000}}]), "InvalidParameterValue"),
        (dict(SubnetId=env["subnet"], Placement={"AvailabilityZone": "us-east-1a"}), "InvalidParameterValue"),
        (dict(Placement={"GroupName": "cluster"}), "InvalidPlacementGroup.Unknown"),
        (dict(Placement={"Tenancy": "shared"}), "InvalidParameterValue"),
    ]:
        got = client_error(lambda: run(**kwargs))
        check(got[0] == code, f"RunInstances {kwargs} -> {code} ({got[0]}: {got[2]})")


def elb_attributes(env):
    elb.create_load_balancer(LoadBalancerName="attrs", Subnets=[env["subnet"]], SecurityGroups=[env["lb_sg"]],
                             Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstanceProtocol": "HTTP", "InstancePort": 80}])
    shown = elb.describe_load_balancer_attributes(LoadBalancerName="attrs")["LoadBalancerAttributes"]
    check(shown["ConnectionSettings"]["IdleTimeout"] == 60 and shown["CrossZoneLoadBalancing"]["Enabled"] is False
          and shown["ConnectionDraining"]["Enabled"] is False and shown["AccessLog"]["Enabled"] is False, "the defaults of an API-made ELB")
    elb.modify_load_balancer_attributes(LoadBalancerName="attrs", LoadBalancerAttributes={
        "CrossZoneLoadBalancing": {"Enabled": True}, "ConnectionDraining": {"Enabled": True, "Timeout": 30},
        "ConnectionSettings": {"IdleTimeout": 120},
        "AccessLog": {"Enabled": True, "S3BucketName": "logs", "EmitInterval": 5, "S3BucketPrefix": "elb"}})
    shown = elb.describe_load_balancer_attributes(LoadBalancerName="attrs")["LoadBalancerAttributes"]
    check(shown["CrossZoneLoadBalancing"]["Enabled"] is True and shown["ConnectionSettings"]["IdleTimeout"] == 120
          and shown["ConnectionDraining"] == {"Enabled": True, "Timeout": 30}
          and shown["AccessLog"] == {"Enabled": True, "S3BucketName": "logs", "EmitInterval": 5, "S3BucketPrefix": "elb"},
          "ModifyLoadBalancerAttributes: every attribute kept and shown")
    for attributes in [{"ConnectionSettings": {"IdleTimeout": 4001}}, {"ConnectionDraining": {"Enabled": True, "Timeout": 0}},
                       {"AccessLog": {"Enabled": True}}, {"AccessLog": {"Enabled": True, "S3BucketName": "b", "EmitInterval": 7}}]:
        got = client_error(lambda: elb.modify_load_balancer_attributes(LoadBalancerName="attrs", LoadBalancerAttributes=attributes))
        check(got[0] == "ValidationError", f"{attributes} -> ValidationError ({got[2]})")
    aws("elb", "modify-load-balancer-attributes", "--load-balancer-name", "attrs",
        "--load-balancer-attributes", '{"ConnectionSettings":{"IdleTimeout":300}}')
    cli = aws("elb", "describe-load-balancer-attributes", "--load-balancer-name", "attrs")
    check(cli["LoadBalancerAttributes"]["ConnectionSettings"]["IdleTimeout"] == 300, "aws CLI: the idle timeout changed")


def main():
    env = build()
    filters(env)
    pagination(env)
    launch_templates(env)
    devices_and_placement(env)
    elb_attributes(env)


run(main)
