import Importers
import Testing
import TopologyFile
import VPCEngine
import VPCModel

/// What CloudFormation does with the resources beyond their properties, and LocalVPC's reading of what a
/// template cannot say.
struct CloudFormationRuleTests {
    static let webTier = """
          Igw: { Type: AWS::EC2::InternetGateway }
          Attach:
            Type: AWS::EC2::VPCGatewayAttachment
            Properties: { VpcId: !Ref Vpc, InternetGatewayId: !Ref Igw }
          PublicRt: { Type: AWS::EC2::RouteTable, Properties: { VpcId: !Ref Vpc } }
          PublicDefault:
            Type: AWS::EC2::Route
            Properties: { RouteTableId: !Ref PublicRt, DestinationCidrBlock: 0.0.0.0/0, GatewayId: !Ref Igw }
          PublicAssoc:
            Type: AWS::EC2::SubnetRouteTableAssociation
            Properties: { RouteTableId: !Ref PublicRt, SubnetId: !Ref Public }
          Private:
            Type: AWS::EC2::Subnet
            Properties: { VpcId: !Ref Vpc, CidrBlock: 10.0.1.0/24, AvailabilityZone: us-east-1a }
          PrivateRt: { Type: AWS::EC2::RouteTable, Properties: { VpcId: !Ref Vpc } }
          PrivateAssoc:
            Type: AWS::EC2::SubnetRouteTableAssociation
            Properties: { RouteTableId: !Ref PrivateRt, SubnetId: !Ref Private }
        """

    /// CloudFormation User Guide, AWS::EC2::SecurityGroup: a group created without SecurityGroupEgress
    /// gets the default allow-all egress rule; standalone AWS::EC2::SecurityGroupEgress resources on it
    /// remove that rule (aws-cdk issue #987, PR #998).
    @Test func standaloneEgressReplacesTheDefaultRule() throws {
        let text = template(
            """
              Open: { Type: AWS::EC2::SecurityGroup, Properties: { VpcId: !Ref Vpc, GroupDescription: open } }
              Narrow: { Type: AWS::EC2::SecurityGroup, Properties: { VpcId: !Ref Vpc, GroupDescription: narrow } }
              Inline:
                Type: AWS::EC2::SecurityGroup
                Properties:
                  VpcId: !Ref Vpc
                  GroupDescription: inline
                  SecurityGroupEgress: [{ IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0 }]
              NarrowOut:
                Type: AWS::EC2::SecurityGroupEgress
                Properties: { GroupId: !GetAtt Narrow.GroupId, IpProtocol: tcp, FromPort: 80, ToPort: 80, DestinationSecurityGroupId: !Ref Open }
              OpenIn:
                Type: AWS::EC2::SecurityGroupIngress
                Properties: { GroupId: !Ref Open, IpProtocol: tcp, FromPort: 80, ToPort: 80, SourceSecurityGroupId: !Ref Narrow }
            """)
        let design = try importTemplate(text)
        func group(_ description: String) throws -> SecurityGroup {
            try #require(design.topology.securityGroups.first { $0.description == description })
        }
        #expect(try group("open").egress == [.allowAllEgress])
        #expect(try group("narrow").egress.map(\.peer) == [.securityGroup(try group("open").id)])
        #expect(try group("inline").egress.map(\.ports.description) == ["443"])
        #expect(try group("open").ingress.map(\.peer) == [.securityGroup(try group("narrow").id)])
        #expect(design.notes.contains("Narrow: the default allow-all egress rule is replaced by 1 standalone egress rule"))
    }

    /// LocalVPC's reading: an instance with SourceDestCheck false that a route targets is a NAT instance
    /// (NAT AMIs and CDK's NAT instance provider masquerade in the OS), unless tagged localvpc:role.
    @Test func aRoutedInstanceWithoutSourceDestCheckIsANATInstance() throws {
        func design(tag: String) throws -> Design {
            try importTemplate(
                template(
                    Self.webTier + """

                          NatSg:
                            Type: AWS::EC2::SecurityGroup
                            Properties:
                              VpcId: !Ref Vpc
                              GroupDescription: nat
                              SecurityGroupIngress: [{ IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.1.0/24 }]
                          Nat:
                            Type: AWS::EC2::Instance
                            Properties:
                              SubnetId: !Ref Public
                              SourceDestCheck: false
                              SecurityGroupIds: [!Ref NatSg]
                              Tags: [{ Key: Name, Value: nat-box }\(tag)]
                          NatEip: { Type: AWS::EC2::EIP, Properties: { InstanceId: !Ref Nat } }
                          PrivateDefault:
                            Type: AWS::EC2::Route
                            Properties: { RouteTableId: !Ref PrivateRt, DestinationCidrBlock: 0.0.0.0/0, InstanceId: !Ref Nat }
                          Web:
                            Type: AWS::EC2::Instance
                            Properties: { SubnetId: !Ref Private }
                        """))
        }
        let inferred = try design(tag: "")
        let nat = try #require(inferred.topology.instances.first { $0.name == "Nat" })
        #expect(nat.role == .nat)
        #expect(inferred.notes.contains { $0.hasPrefix("Nat: source/dest check off and the target of a route: taken as a NAT instance") })
        #expect(try inferred.analyze("Web", "internet", port: 443).isReachable, "the web server reaches the internet through the NAT")
        #expect(try inferred.analyze("nat-box", "internet", port: 443).isReachable, "a unique Name tag names the instance")
        let plain = try design(tag: ", { Key: 'localvpc:role', Value: router }")
        #expect(plain.topology.instances.first { $0.name == "Nat" }?.role == nil, "the tag says otherwise")
    }

    /// An Auto Scaling group becomes DesiredCapacity (else MinSize, at least 1) instances named
    /// <group>-1…N over its subnets in order, with its launch configuration's groups, registered with
    /// its Classic ELBs.
    @Test func autoScalingGroupsBecomeInstances() throws {
        let text = template(
            Self.webTier + """

                  Other:
                    Type: AWS::EC2::Subnet
                    Properties: { VpcId: !Ref Vpc, CidrBlock: 10.0.2.0/24, AvailabilityZone: us-east-1b }
                  WebSg: { Type: AWS::EC2::SecurityGroup, Properties: { VpcId: !Ref Vpc, GroupDescription: web } }
                  Config:
                    Type: AWS::AutoScaling::LaunchConfiguration
                    Properties: { ImageId: ami-1, InstanceType: t3.micro, SecurityGroups: [!Ref WebSg] }
                  Lb:
                    Type: AWS::ElasticLoadBalancing::LoadBalancer
                    Properties:
                      Subnets: [!Ref Public]
                      Listeners: [{ LoadBalancerPort: '80', InstancePort: '80', Protocol: HTTP }]
                  Group:
                    Type: AWS::AutoScaling::AutoScalingGroup
                    Properties:
                      VPCZoneIdentifier: [!Ref Private, !Ref Other]
                      LaunchConfigurationName: !Ref Config
                      MinSize: '1'
                      MaxSize: '5'
                      DesiredCapacity: '3'
                      LoadBalancerNames: [!Ref Lb]
                  Small:
                    Type: AWS::AutoScaling::AutoScalingGroup
                    Properties: { VPCZoneIdentifier: [!Ref Private], LaunchConfigurationName: !Ref Config, MinSize: '0', MaxSize: '2' }
                  OtherSg: { Type: AWS::EC2::SecurityGroup, Properties: { VpcId: !Ref Vpc, GroupDescription: other } }
                  Template:
                    Type: AWS::EC2::LaunchTemplate
                    Properties:
                      LaunchTemplateData: { ImageId: ami-2, SecurityGroupIds: [!Ref OtherSg] }
                  Templated:
                    Type: AWS::AutoScaling::AutoScalingGroup
                    Properties:
                      VPCZoneIdentifier: [!Ref Other]
                      LaunchTemplate: { LaunchTemplateId: !Ref Template, Version: !GetAtt Template.LatestVersionNumber }
                      MinSize: '2'
                      MaxSize: '2' 
                """)
        let design = try importTemplate(text)
        let names = design.topology.instances.compactMap(\.name).sorted()
        #expect(names == ["Group-1", "Group-2", "Group-3", "Small-1", "Templated-1", "Templated-2"])
        let subnetOf = { (name: String) -> String? in
            let instance = design.topology.instances.first { $0.name == name }
            let interface = design.topology.networkInterfaces.first { $0.id == instance?.primaryNetworkInterfaceID }
            return interface.flatMap { design.topology.subnet($0.subnetID)?.name }
        }
        #expect(["Group-1", "Group-2", "Group-3"].map(subnetOf) == ["Private", "Other", "Private"])
        let web = try #require(design.topology.securityGroups.first { $0.description == "web" })
        #expect(design.topology.networkInterfaces.filter { $0.securityGroupIDs == [web.id] }.count == 4)
        let other = try #require(design.topology.securityGroups.first { $0.description == "other" })
        #expect(design.topology.networkInterfaces.filter { $0.securityGroupIDs == [other.id] }.count == 2, "the launch template's groups")
        #expect(["Templated-1", "Templated-2"].map(subnetOf) == ["Other", "Other"])
        let balancer = try #require(design.topology.loadBalancers.first)
        #expect(balancer.instanceIDs.count == 3)
    }

    /// Types LocalVPC does not model are listed once, with their logical IDs, never an error.
    @Test func unmodelledTypesAreListed() throws {
        let text = template(
            """
              Role: { Type: AWS::IAM::Role, Properties: { AssumeRolePolicyDocument: {} } }
              Bucket: { Type: AWS::S3::Bucket }
              Logs: { Type: AWS::S3::Bucket }
            """)
        let design = try importTemplate(text)
        #expect(design.notes.contains("not modelled: AWS::IAM::Role (Role)"))
        #expect(design.notes.contains("not modelled: AWS::S3::Bucket (Bucket, Logs)"))
    }

    /// A group with no VpcId and an instance with no subnet are in the region's default VPC, whose
    /// default subnets map public addresses; a Classic ELB there without groups uses ELB's default_elb
    /// group, open on its listener ports (ELB Classic guide, "Configure security groups").
    @Test func defaultVPCResources() throws {
        let text = """
            Resources:
              Sg:
                Type: AWS::EC2::SecurityGroup
                Properties:
                  GroupDescription: web
                  SecurityGroupIngress:
                    - { IpProtocol: tcp, FromPort: 80, ToPort: 80, SourceSecurityGroupName: !GetAtt Lb.SourceSecurityGroup.GroupName }
              Web: { Type: AWS::EC2::Instance, Properties: { SecurityGroups: [!Ref Sg], AvailabilityZone: us-east-1b } }
              Lb:
                Type: AWS::ElasticLoadBalancing::LoadBalancer
                Properties:
                  AvailabilityZones: !GetAZs ''
                  Instances: [!Ref Web]
                  Listeners: [{ LoadBalancerPort: '80', InstancePort: '80', Protocol: HTTP }]
            """
        let design = try importTemplate(text)
        #expect(design.topology.vpcs.map(\.cidrBlocks.description) == ["[172.31.0.0/16]"])
        #expect(try design.analyze("internet", "Web", port: 80).isReachable)
        let direct = try design.analyze("internet", "Web", port: 80, protocol: .tcp)
        #expect(direct.analysis.forwardPathComponents.contains { $0.component.id == "Lb" }, "only through the load balancer")
        #expect(try !design.analyze("internet", "Lb", port: 22).isReachable)
    }

    // MARK: Errors

    /// Bad templates are refused with every problem at once, each with its line and what is wrong.
    @Test func errorsNameTheProblemAndTheLine() throws {
        let text = template(
            """
              A: { Type: AWS::EC2::SecurityGroup, Properties: { VpcId: !Ref Nowhere, GroupDescription: a } }
              B: { Type: AWS::EC2::SecurityGroup, Properties: { VpcId: !Ref Vpc, GroupDescription: !GetAtt Ghost.Name } }
              C: { Type: AWS::EC2::SecurityGroup, Properties: { VpcId: !Ref Vpc, GroupDescription: !Select [1] } }
              D: { Type: AWS::EC2::SecurityGroup, Properties: { VpcId: !Ref Vpc, GroupDescription: !If [Loop, a, b] } }
              Self: { Type: AWS::EC2::VPC, Properties: { CidrBlock: !GetAtt Self.CidrBlock } }
            """, conditions: "  Loop: !Not [!Condition Pool]\n  Pool: !Not [!Condition Loop]\n")
        let errors = failures(text)
        let messages = errors.map(\.message)
        #expect(messages.contains { $0.contains("'Nowhere' is not a parameter, a resource or a pseudo parameter") })
        #expect(messages.contains { $0.contains("'Ghost' is not a resource of this template") })
        #expect(messages.contains { $0.contains("Fn::Select is malformed") })
        #expect(messages.contains { $0.contains("Circular reference between conditions") })
        #expect(messages.contains { $0.contains("Circular reference: Self.CidrBlock -> Self.CidrBlock") })
        #expect(errors.allSatisfy { $0.line > 1 && $0.file == "template.yaml" })
        let syntax = failures("Resources:\n  A: { Type: AWS::EC2::VPC\n")
        #expect(syntax.count == 1 && syntax[0].message.hasPrefix("This is not valid YAML") && syntax[0].line >= 2)
    }
}
