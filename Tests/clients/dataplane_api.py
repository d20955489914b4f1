"""`localvpc serve --data-plane`: a load balancer built through boto3 starts serving, and follows the API.

Usage: dataplane_api.py LOCALVPC_BINARY STATE_FILE
"""
import re
import subprocess
import sys
import time
import urllib.request

import boto3

from seed_common import check

binary, state = sys.argv[1], sys.argv[2]
server = subprocess.Popen([binary, "serve", "--port", "0", "--state", state, "--data-plane", "--listen", "web-elb:80=127.0.0.1:0",
                           "--health-check-scale", "0.05", "--log-level", "warning"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def next_line(pattern, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = server.stdout.readline()
        if not line:
            raise RuntimeError("the server exited")
        match = re.search(pattern, line)
        if match:
            return match
    raise RuntimeError(f"no line matching {pattern}")


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def eventually(condition, message, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline and not condition():
        time.sleep(0.1)
    check(condition(), message)


try:
    url = next_line(r"listening on (http://\S+)").group(1)
    client = lambda service: boto3.client(service, endpoint_url=url, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    ec2, elb = client("ec2"), client("elb")
    # The default VPC every region starts with: its default subnets, internet gateway and main route table.
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
    subnet = sorted(subnets, key=lambda s: s["AvailabilityZone"])[0]
    elb_sg = ec2.create_security_group(GroupName="elb-sg", Description="elb", VpcId=vpc)["GroupId"]
    web_sg = ec2.create_security_group(GroupName="web-sg", Description="web", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=elb_sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.authorize_security_group_ingress(GroupId=web_sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": elb_sg}]}])
    instances = [i["InstanceId"] for i in ec2.run_instances(ImageId="ami-12345678", MinCount=2, MaxCount=2, SubnetId=subnet["SubnetId"],
                                                            SecurityGroupIds=[web_sg])["Instances"]]
    elb.create_load_balancer(LoadBalancerName="web-elb", Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstanceProtocol": "HTTP", "InstancePort": 80}],
                             Subnets=[subnet["SubnetId"]], SecurityGroups=[elb_sg])
    elb.register_instances_with_load_balancer(LoadBalancerName="web-elb", Instances=[{"InstanceId": i} for i in instances])
    listener = next_line(r"^listener web-elb HTTP:80 -> HTTP:80 (http://\S+)").group(1)
    check(True, f"the load balancer made through boto3 got a listener: {listener}")
    health = lambda: {s["InstanceId"]: s["State"] for s in elb.describe_instance_health(LoadBalancerName="web-elb")["InstanceStates"]}
    eventually(lambda: set(health().values()) == {"InService"}, "both instances go InService")
    seen = {get(listener + "/")[1].split()[0] for _ in range(4)}
    check(len(seen) == 2, f"requests alternate between the two built-in backends: {seen}")
    ec2.stop_instances(InstanceIds=[instances[0]])
    eventually(lambda: health()[instances[0]] == "OutOfService", "a stopped instance goes OutOfService")
    check(elb.describe_instance_health(LoadBalancerName="web-elb", Instances=[{"InstanceId": instances[0]}])["InstanceStates"][0]["Description"]
          == "Instance is in stopped state.", "with AWS's description")
    bodies = [get(listener + "/")[1] for _ in range(4)]
    check(all(instances[1] in b for b in bodies), "and gets no requests")
    print("all checks passed")
finally:
    server.terminate()
    server.wait(timeout=10)
