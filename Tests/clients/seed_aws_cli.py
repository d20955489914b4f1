"""The seed design through the real aws CLI: build it, analyse it, stop the NAT, check errors.

Usage: seed_aws_cli.py URL [build|verify STATE_JSON]
  build: builds the design, checks it, writes the resource IDs to STATE_JSON (default seed.json)
  verify: after a restart, checks that everything built is still there
"""
import json
import sys

from seed_common import AwsCli, analyze, build_seed_with_cli, check, run

url = sys.argv[1]
mode = sys.argv[2] if len(sys.argv) > 2 else "build"
state_file = sys.argv[3] if len(sys.argv) > 3 else "seed.json"
aws = AwsCli(url)


def build():
    ids = build_seed_with_cli(aws)
    ec2 = lambda op, *a, **k: aws("ec2", op, *a, **k)

    # AWS side effects: main route table, default NACL and default SG of a new VPC.
    tables = ec2("describe-route-tables", "--filters", f"Name=vpc-id,Values={ids['vpc']}")["RouteTables"]
    check(sum(1 for t in tables if any(a.get("Main") for a in t["Associations"])) == 1, "a new VPC has one main route table")
    acls = ec2("describe-network-acls", "--filters", f"Name=vpc-id,Values={ids['vpc']}", "Name=default,Values=true")["NetworkAcls"]
    check(len(acls) == 1 and {e["RuleNumber"] for e in acls[0]["Entries"]} == {100, 32767}, "a new VPC has a default NACL (rule 100 allow, * deny)")
    groups = ec2("describe-security-groups", "--filters", f"Name=vpc-id,Values={ids['vpc']}", "Name=group-name,Values=default")["SecurityGroups"]
    check(len(groups) == 1, "a new VPC has a default security group")

    # The NAT instance: source/dest check off, Elastic IP, NAT role from its image.
    nat = ec2("describe-instances", "--instance-ids", ids["nat"])["Reservations"][0]["Instances"][0]
    check(nat["SourceDestCheck"] is False, "the NAT instance has source/dest check disabled")
    check(nat.get("PublicIpAddress") is not None, "the NAT instance has its Elastic IP")
    attribute = ec2("describe-instance-attribute", "--instance-id", ids["nat"], "--attribute", "sourceDestCheck")
    check(attribute["SourceDestCheck"]["Value"] is False, "describe-instance-attribute reports sourceDestCheck false")

    # Reachability Analyzer on the current state.
    web = ids["webs"][0]
    inbound = analyze(aws, ids["igw"], web, 80)
    check(inbound["Status"] == "succeeded" and inbound["NetworkPathFound"] is True, "internet -> web-1:80 is reachable (through the ELB)")
    check(any(c["Component"]["Id"] == "seed-elb" for c in inbound["ForwardPathComponents"]), "the path goes through the load balancer")
    outbound = analyze(aws, web, ids["igw"], 443)
    codes = [e["ExplanationCode"] for e in outbound["Explanations"]]
    check(outbound["NetworkPathFound"] is False and "SG_REFERENCES_NOT_PRESERVED" in codes,
          f"web-1 -> internet:443 is blocked by the web SG's reference to the NAT SG ({codes})")

    # Fix the web SG as a user would, then see the outbound path open.
    ec2("authorize-security-group-egress", "--group-id", ids["web_sg"], "--protocol", "tcp", "--port", "443", "--cidr", "0.0.0.0/0")
    fixed = analyze(aws, web, ids["igw"], 443)
    check(fixed["NetworkPathFound"] is True, "after allowing 443 out, web-1 reaches the internet through the NAT")

    # On-demand NAT: stop it, the route turns blackhole and the analysis changes.
    stopped = ec2("stop-instances", "--instance-ids", ids["nat"])["StoppingInstances"][0]
    check(stopped["CurrentState"]["Name"] == "stopping" and stopped["PreviousState"]["Name"] == "running", "stop-instances reports stopping")
    route = [r for r in ec2("describe-route-tables", "--route-table-ids", ids["private_rt"])["RouteTables"][0]["Routes"]
             if r["DestinationCidrBlock"] == "0.0.0.0/0"][0]
    check(route["State"] == "blackhole", "the private route to the stopped NAT instance is a blackhole")
    blocked = analyze(aws, web, ids["igw"], 443)
    codes = [e["ExplanationCode"] for e in blocked["Explanations"]]
    check(blocked["NetworkPathFound"] is False and "BAD_STATE_ROUTE" in codes, f"with the NAT stopped the analysis reports BAD_STATE_ROUTE ({codes})")
    nat = ec2("describe-instances", "--instance-ids", ids["nat"])["Reservations"][0]["Instances"][0]
    check(nat["State"]["Name"] == "stopped" and nat.get("PublicIpAddress") is not None, "a stopped instance keeps its Elastic IP")
    ec2("start-instances", "--instance-ids", ids["nat"])
    route = [r for r in ec2("describe-route-tables", "--route-table-ids", ids["private_rt"])["RouteTables"][0]["Routes"]
             if r["DestinationCidrBlock"] == "0.0.0.0/0"][0]
    check(route["State"] == "active", "starting the NAT makes the route active again")

    # Classic ELB: health as the network allows it.
    health = aws("elb", "describe-instance-health", "--load-balancer-name", "seed-elb")["InstanceStates"]
    check(len(health) == 2 and all(h["State"] == "InService" for h in health), "both web servers are InService")
    ec2("revoke-security-group-ingress", "--group-id", ids["web_sg"], "--ip-permissions",
        f"IpProtocol=tcp,FromPort=80,ToPort=80,UserIdGroupPairs=[{{GroupId={ids['elb_sg']}}}]")
    health = aws("elb", "describe-instance-health", "--load-balancer-name", "seed-elb")["InstanceStates"]
    check(all(h["State"] == "OutOfService" for h in health), "revoking the web SG's rule for the ELB takes the web servers OutOfService")
    ec2("authorize-security-group-ingress", "--group-id", ids["web_sg"], "--ip-permissions",
        f"IpProtocol=tcp,FromPort=80,ToPort=80,UserIdGroupPairs=[{{GroupId={ids['elb_sg']}}}]")

    # Errors in AWS's shape; nothing stored changes.
    ec2("describe-vpcs", "--vpc-ids", "vpc-0000000000000dead", expect_error="InvalidVpcID.NotFound")
    ec2("delete-vpc", "--vpc-id", ids["vpc"], expect_error="DependencyViolation")
    ec2("authorize-security-group-ingress", "--group-id", ids["elb_sg"], "--protocol", "tcp", "--port", "80", "--cidr", "0.0.0.0/0",
        expect_error="InvalidPermission.Duplicate")
    ec2("create-subnet", "--vpc-id", ids["vpc"], "--cidr-block", "10.0.0.128/25", expect_error="InvalidSubnet.Conflict")
    ec2("create-route", "--route-table-id", ids["public_rt"], "--destination-cidr-block", "0.0.0.0/0", "--gateway-id", ids["igw"],
        expect_error="RouteAlreadyExists")
    aws("elb", "describe-load-balancers", "--load-balancer-names", "nope", expect_error="LoadBalancerNotFound")
    check(len(ec2("describe-vpcs", "--vpc-ids", ids["vpc"])["Vpcs"]) == 1, "the VPC is still there after the failed calls")

    # Tags.
    ec2("create-tags", "--resources", ids["nat"], "--tags", "Key=Name,Value=nat")
    tags = ec2("describe-tags", "--filters", f"Name=resource-id,Values={ids['nat']}")["Tags"]
    check([t["Value"] for t in tags if t["Key"] == "Name"] == ["nat"], "create-tags / describe-tags round-trip")
    check(len(ec2("describe-instances", "--filters", "Name=tag:Name,Values=nat")["Reservations"]) == 1, "filter instances by tag")

    with open(state_file, "w") as handle:
        json.dump(ids, handle)


def verify():
    with open(state_file) as handle:
        ids = json.load(handle)
    ec2 = lambda op, *a, **k: aws("ec2", op, *a, **k)
    check(len(ec2("describe-vpcs", "--vpc-ids", ids["vpc"])["Vpcs"]) == 1, "the VPC survived the restart")
    instances = ec2("describe-instances", "--instance-ids", ids["nat"], *ids["webs"])["Reservations"]
    check(sum(len(r["Instances"]) for r in instances) == 3, "the three instances survived the restart")
    group = ec2("describe-security-groups", "--group-ids", ids["web_sg"])["SecurityGroups"][0]
    check(any(p.get("IpRanges") for p in group["IpPermissionsEgress"]), "the web SG's 443 egress rule survived the restart")
    lb = aws("elb", "describe-load-balancers", "--load-balancer-names", "seed-elb")["LoadBalancerDescriptions"][0]
    check(len(lb["Instances"]) == 2 and len(lb["ListenerDescriptions"]) == 2, "the load balancer survived the restart")
    analyses = ec2("describe-network-insights-analyses")["NetworkInsightsAnalyses"]
    check(len(analyses) >= 4, "the stored analyses survived the restart")
    tags = ec2("describe-tags", "--filters", f"Name=resource-id,Values={ids['nat']}")["Tags"]
    check(any(t["Value"] == "nat" for t in tags), "tags survived the restart")


run(build if mode == "build" else verify)
