"""Network Access Analyzer through boto3 and the aws CLI, on `serve --load` of the fixed seed: the eight
access-scope actions with botocore's member names, the seed's claims as scopes (no findings), and a
scope with findings (the web servers reach the internet through the NAT: exhaustive, one per source
and protocol, each a path of FindingComponents).

Usage: access_scopes.py URL
"""
import sys

from seed_common import AwsCli, boto_client, check, client_error, run

url = sys.argv[1]
ec2 = boto_client(url, "ec2", "AKIDSCOPES")
aws = AwsCli(url)


def main():
    vpc = next(v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if not v["IsDefault"])
    subnets = {next(t["Value"] for t in s["Tags"] if t["Key"] == "Name"): s["SubnetId"]
               for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]}
    instances = {next(t["Value"] for t in i["Tags"] if t["Key"] == "Name"): i["InstanceId"]
                 for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]}
    elb_arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/elb"
    igw = {"ResourceStatement": {"ResourceTypes": ["AWS::EC2::InternetGateway"]}}
    private = {"ResourceStatement": {"Resources": [subnets["private"]]}}

    inbound = ec2.create_network_insights_access_scope(
        MatchPaths=[{"Source": igw, "Destination": private}],
        ExcludePaths=[{"ThroughResources": [{"ResourceStatement": {"Resources": [elb_arn]}}]}],
        TagSpecifications=[{"ResourceType": "network-insights-access-scope", "Tags": [{"Key": "Name", "Value": "in-only-via-elb"}]}])
    scope = inbound["NetworkInsightsAccessScope"]
    check(scope["NetworkInsightsAccessScopeId"].startswith("nis-") and scope["Tags"][0]["Value"] == "in-only-via-elb",
          "CreateNetworkInsightsAccessScope: an ID and its tags")
    content = ec2.get_network_insights_access_scope_content(NetworkInsightsAccessScopeId=scope["NetworkInsightsAccessScopeId"])
    match = content["NetworkInsightsAccessScopeContent"]["MatchPaths"][0]
    check(match["Source"]["ResourceStatement"]["ResourceTypes"] == ["AWS::EC2::InternetGateway"]
          and match["Destination"]["ResourceStatement"]["Resources"] == [subnets["private"]],
          "GetNetworkInsightsAccessScopeContent: the statements as given")
    analysis = ec2.start_network_insights_access_scope_analysis(NetworkInsightsAccessScopeId=scope["NetworkInsightsAccessScopeId"])
    analysis = analysis["NetworkInsightsAccessScopeAnalysis"]
    check(analysis["Status"] == "succeeded" and analysis["FindingsFound"] == "false" and analysis["AnalyzedEniCount"] > 0,
          f"the seed's claim holds: no findings ({analysis['FindingsFound']}, {analysis['AnalyzedEniCount']} ENIs)")
    check("exhaustive" in analysis.get("StatusMessage", ""), "and says its findings are exhaustive")

    out = ec2.create_network_insights_access_scope(MatchPaths=[{
        "Source": private,
        "Destination": {"ResourceStatement": {"ResourceTypes": ["AWS::EC2::InternetGateway"]},
                        "PacketHeaderStatement": {"Protocols": ["tcp"], "DestinationPorts": ["443"]}}}])
    out_id = out["NetworkInsightsAccessScope"]["NetworkInsightsAccessScopeId"]
    started = ec2.start_network_insights_access_scope_analysis(NetworkInsightsAccessScopeId=out_id)["NetworkInsightsAccessScopeAnalysis"]
    check(started["FindingsFound"] == "true", "a scope the design breaks has findings")
    findings = ec2.get_network_insights_access_scope_analysis_findings(
        NetworkInsightsAccessScopeAnalysisId=started["NetworkInsightsAccessScopeAnalysisId"])
    check(findings["AnalysisStatus"] == "succeeded" and len(findings["AnalysisFindings"]) == 2,
          f"two findings, web-1 and web-2 over tcp ({len(findings['AnalysisFindings'])})")
    first = findings["AnalysisFindings"][0]["FindingComponents"]
    ids = [c["Component"]["Id"] for c in first]
    nat_eni = ec2.describe_instances(InstanceIds=[instances["nat"]])["Reservations"][0]["Instances"][0]["NetworkInterfaces"][0]["NetworkInterfaceId"]
    check(first[0]["SequenceNumber"] == 1 and ids[0] in (instances["web-1"], instances["web-2"]) and nat_eni in ids,
          "each finding is a path of FindingComponents from a web server through the NAT instance")
    paged = ec2.get_network_insights_access_scope_analysis_findings(
        NetworkInsightsAccessScopeAnalysisId=started["NetworkInsightsAccessScopeAnalysisId"], MaxResults=1)
    check(len(paged["AnalysisFindings"]) == 1 and "NextToken" in paged, "findings are paged")

    # Packet header addresses (PacketHeaderStatement SourceAddresses): only web-1's address is asked about.
    web1 = ec2.describe_instances(InstanceIds=[instances["web-1"]])["Reservations"][0]["Instances"][0]
    narrowed = ec2.create_network_insights_access_scope(MatchPaths=[{
        "Source": {**private, "PacketHeaderStatement": {"SourceAddresses": [web1["PrivateIpAddress"] + "/32"]}},
        "Destination": {"ResourceStatement": {"ResourceTypes": ["AWS::EC2::InternetGateway"]},
                        "PacketHeaderStatement": {"Protocols": ["tcp"], "DestinationPorts": ["443"]}}}])
    narrowed_id = narrowed["NetworkInsightsAccessScope"]["NetworkInsightsAccessScopeId"]
    narrowed_run = ec2.start_network_insights_access_scope_analysis(NetworkInsightsAccessScopeId=narrowed_id)
    narrowed_findings = ec2.get_network_insights_access_scope_analysis_findings(
        NetworkInsightsAccessScopeAnalysisId=narrowed_run["NetworkInsightsAccessScopeAnalysis"]["NetworkInsightsAccessScopeAnalysisId"])
    sources = [f["FindingComponents"][0]["Component"]["Id"] for f in narrowed_findings["AnalysisFindings"]]
    check(sources == [instances["web-1"]], f"SourceAddresses narrows the findings to web-1 ({sources})")
    check(client_error(lambda: ec2.create_network_insights_access_scope(MatchPaths=[{"Source": {
        "PacketHeaderStatement": {"SourceAddresses": ["10.0.0.300/32"]}}}]))[0] == "InvalidParameterValue",
          "an address that is not a CIDR block is refused")

    described = ec2.describe_network_insights_access_scope_analyses(NetworkInsightsAccessScopeId=out_id)
    check([a["NetworkInsightsAccessScopeAnalysisId"] for a in described["NetworkInsightsAccessScopeAnalyses"]]
          == [started["NetworkInsightsAccessScopeAnalysisId"]], "DescribeNetworkInsightsAccessScopeAnalyses by scope")
    scopes = aws("ec2", "describe-network-insights-access-scopes")["NetworkInsightsAccessScopes"]
    check(len(scopes) == 3, "aws CLI: describe-network-insights-access-scopes lists all three")
    check(client_error(lambda: ec2.delete_network_insights_access_scope(NetworkInsightsAccessScopeId=out_id))[0] == "DependencyViolation",
          "a scope with analyses is not deleted")
    ec2.delete_network_insights_access_scope_analysis(NetworkInsightsAccessScopeAnalysisId=started["NetworkInsightsAccessScopeAnalysisId"])
    ec2.delete_network_insights_access_scope(NetworkInsightsAccessScopeId=out_id)
    check(client_error(lambda: ec2.get_network_insights_access_scope_content(NetworkInsightsAccessScopeId=out_id))[0]
          == "InvalidNetworkInsightsAccessScopeId.NotFound", "deleted")
    check(client_error(lambda: ec2.create_network_insights_access_scope(MatchPaths=[{"Source": {"ResourceStatement": {
        "ResourceTypes": ["AWS::S3::Bucket"]}}}]))[0] == "InvalidParameterValue", "an unsupported resource type is refused")
    cli = aws("ec2", "start-network-insights-access-scope-analysis", "--network-insights-access-scope-id", scope["NetworkInsightsAccessScopeId"])
    check(cli["NetworkInsightsAccessScopeAnalysis"]["FindingsFound"] == "false", "aws CLI: start-network-insights-access-scope-analysis")


run(main)
