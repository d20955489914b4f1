"""The seed design (examples/seed-elb-nat.yaml) as an AWS CDK app, the way a CDK user writes it.

A VPC with a public and a private subnet in one zone; a NAT instance from CDK's NAT instance provider
in the public subnet; two web servers in the private subnet behind an internet-facing Classic ELB
(HTTP 80, and HTTPS 443 terminated at the ELB); the web servers' group sends only to the NAT's group.

    pip install aws-cdk-lib constructs
    python3 examples/cdk-seed/app.py > examples/cdk-seed/template.json     # cdk synth, without the CLI
    localvpc check examples/cdk-seed/template.json --intents examples/cdk-seed/intents.yaml
"""
import json
import sys

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancing as elb


class SeedStack(cdk.Stack):
    def __init__(self, scope, construct_id, **kwargs):
        super().__init__(scope, construct_id, **kwargs)
        nat = ec2.NatProvider.instance_v2(
            instance_type=ec2.InstanceType("t3.micro"),
            default_allowed_traffic=ec2.NatTrafficDirection.NONE,
        )
        vpc = ec2.Vpc(
            self, "Vpc",
            ip_addresses=ec2.IpAddresses.cidr("10.0.0.0/16"),
            max_azs=1,
            nat_gateway_provider=nat,
            nat_gateways=1,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                ec2.SubnetConfiguration(name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=24),
            ],
        )
        # The NAT instance's group, as the VPC User Guide recommends: HTTP/HTTPS in from the private
        # subnet, out to anywhere.
        private_cidr = vpc.private_subnets[0].ipv4_cidr_block
        for port in (80, 443):
            nat.security_group.add_ingress_rule(ec2.Peer.ipv4(private_cidr), ec2.Port.tcp(port))
            nat.security_group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(port))

        # The web servers: outbound only to the NAT instance's group (the seed's claim).
        web_sg = ec2.SecurityGroup(self, "web-sg", vpc=vpc, allow_all_outbound=False, description="web servers")
        web_sg.add_egress_rule(nat.security_group, ec2.Port.all_traffic(), "to the NAT instance only")
        webs = [
            ec2.Instance(
                self, name, vpc=vpc, instance_name=name,
                vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS),
                instance_type=ec2.InstanceType("t3.micro"),
                machine_image=ec2.MachineImage.latest_amazon_linux2023(),
                security_group=web_sg,
            )
            for name in ("web-1", "web-2")
        ]

        lb = elb.LoadBalancer(
            self, "elb", vpc=vpc, internet_facing=True,
            health_check=elb.HealthCheck(port=80, protocol=elb.LoadBalancingProtocol.HTTP, path="/index.html",
                                         interval=cdk.Duration.seconds(30), timeout=cdk.Duration.seconds(5),
                                         healthy_threshold=10, unhealthy_threshold=2),
        )
        lb.add_listener(external_port=80, internal_port=80)
        lb.add_listener(external_port=443, external_protocol=elb.LoadBalancingProtocol.HTTPS, internal_port=80,
                        internal_protocol=elb.LoadBalancingProtocol.HTTP,
                        ssl_certificate_arn="arn:aws:iam::123456789012:server-certificate/seed")
        for web in webs:
            lb.add_target(elb.InstanceTarget(web))


# As `cdk synth` writes it: with each resource's construct path (aws:cdk:path), which LocalVPC also reads as a name.
app = cdk.App(context={"aws:cdk:enable-path-metadata": True})
stack = SeedStack(app, "SeedStack")
template = app.synth().get_stack_by_name("SeedStack").template
json.dump(template, sys.stdout, indent=1, sort_keys=True)
print()
