import Importers
import Testing
import TopologyFile
import VPCModel

/// CloudFormation User Guide, "Intrinsic function reference" and "Pseudo parameters reference": each
/// function evaluated as CloudFormation does, in its long (JSON) and short (YAML `!Tag`) forms.
struct IntrinsicTests {
    @Test func refGivesParametersOverDefaultsAndPseudoParameters() throws {
        let parameters = """
              Env: { Type: String, Default: test }
              Owner: { Type: String, Default: nobody }
            """
        let text = template(
            probe("!Sub '${Env}/${Owner}/${AWS::Region}/${AWS::AccountId}/${AWS::StackName}/${AWS::Partition}/${AWS::URLSuffix}'"),
            parameters: parameters)
        #expect(probed(try importTemplate(text)) == "test/nobody/us-east-1/123456789012/localvpc/aws/amazonaws.com")
        let options = ImportOptions(region: "eu-west-1", stackName: "shop", parameters: ["Owner": "ops"])
        #expect(probed(try importTemplate(text, options: options)) == "test/ops/eu-west-1/123456789012/shop/aws/amazonaws.com")
        let stackID = template(probe("{ Ref: 'AWS::StackId' }"))
        #expect(probed(try importTemplate(stackID))?.hasPrefix("arn:aws:cloudformation:us-east-1:123456789012:stack/localvpc/") == true)
    }

    /// Fn::GetAtt: the list form, the dotted short form (split on the first dot), and the attributes of
    /// the modelled types.
    @Test func getAttInBothForms() throws {
        let text = template(
            probe("!Join ['|', [!GetAtt Vpc.CidrBlock, { 'Fn::GetAtt': [Public, AvailabilityZone] }, !GetAtt [Vpc, CidrBlock]]]"))
        #expect(probed(try importTemplate(text)) == "10.0.0.0/16|us-east-1a|10.0.0.0/16")
    }

    /// Fn::Sub: a string with `${Param}`, `${Resource}`, `${Resource.Attribute}` and `${!Literal}`, or a
    /// string with a map of its own variables.
    @Test func subInBothForms() throws {
        let text = template(
            probe("!Sub 'vpc ${Vpc.CidrBlock} in ${AWS::Region}, ${!NotAVariable}'") + "\n"
                + probe("!Sub ['${Prefix}-${Vpc}', { Prefix: web }]", name: "Other"))
        let design = try importTemplate(text)
        #expect(probed(design) == "vpc 10.0.0.0/16 in us-east-1, ${NotAVariable}")
        let vpcID = try #require(design.topology.vpcs.first).id.rawValue
        #expect(probed(design, name: "Other") == "web-\(vpcID)")
    }

    @Test func joinSelectAndSplit() throws {
        let text = template(probe("!Join ['-', [!Select [1, !Split [',', 'a,b,c']], !Select ['0', [x, y]]]]"))
        #expect(probed(try importTemplate(text)) == "b-x")
    }

    @Test func findInMap() throws {
        let mappings = """
              Sizes:
                us-east-1: { Web: large }
                eu-west-1: { Web: small }
            """
        let text = template(probe("!FindInMap [Sizes, !Ref 'AWS::Region', Web]"), mappings: mappings)
        #expect(probed(try importTemplate(text)) == "large")
        #expect(probed(try importTemplate(text, options: ImportOptions(region: "eu-west-1"))) == "small")
    }

    /// Fn::GetAZs: the region's Availability Zones in alphabetical order ('' is the stack's region).
    @Test func getAZsListsTheRegionsZones() throws {
        let text = template(probe("!Join [',', !GetAZs '']"))
        #expect(probed(try importTemplate(text)) == "us-east-1a,us-east-1b,us-east-1c,us-east-1d,us-east-1e,us-east-1f")
        let named = template(probe("!Select [1, !GetAZs eu-central-1]"))
        #expect(probed(try importTemplate(named)) == "eu-central-1b")
    }

    /// Fn::Cidr [ipBlock, count, cidrBits]: `count` blocks with `cidrBits` host bits, in order.
    @Test func cidrCutsBlocks() throws {
        let text = template(
            probe("!Join [' ', !Cidr [10.0.0.0/16, 3, 8]]") + "\n" + probe("!Select [2, !Cidr [!GetAtt Vpc.CidrBlock, 6, 5]]", name: "Other"))
        let design = try importTemplate(text)
        #expect(probed(design) == "10.0.0.0/24 10.0.1.0/24 10.0.2.0/24")
        #expect(probed(design, name: "Other") == "10.0.0.64/27")
    }

    /// Fn::If with Conditions built of Fn::Equals, Fn::And, Fn::Or, Fn::Not and Condition; a resource
    /// whose Condition is false does not exist.
    @Test func conditionsDecideValuesAndResources() throws {
        let parameters = "  Env: { Type: String, Default: prod }\n"
        let conditions = """
              IsProd: !Equals [!Ref Env, prod]
              IsEast: !Equals [!Ref 'AWS::Region', us-east-1]
              ProdInEast: !And [!Condition IsProd, !Condition IsEast]
              EitherWay: !Or [!Not [!Condition IsProd], !Condition IsEast]
            """
        let resources =
            probe("!If [ProdInEast, both, not-both]") + "\n" + probe("!If [EitherWay, yes, no]", name: "Other") + """

                  TestOnly:
                    Type: AWS::EC2::Subnet
                    Condition: IsTest
                    Properties: { VpcId: !Ref Vpc, CidrBlock: 10.0.9.0/24 }
                """
        let text = template(resources, parameters: parameters, conditions: conditions + "\n  IsTest: !Not [!Condition IsProd]\n")
        let prod = try importTemplate(text)
        #expect(probed(prod) == "both" && probed(prod, name: "Other") == "yes")
        #expect(!prod.topology.subnets.contains { $0.name == "TestOnly" }, "a resource whose Condition is false does not exist")
        let test = try importTemplate(text, options: ImportOptions(region: "eu-west-1", parameters: ["Env": "test"]))
        #expect(probed(test) == "not-both" && probed(test, name: "Other") == "yes")
        #expect(test.topology.subnets.contains { $0.name == "TestOnly" })
    }

    /// Ref AWS::NoValue removes the property, as if it were not written: here the subnet's zone falls
    /// back to the region's first.
    @Test func noValueRemovesTheProperty() throws {
        let text = template(
            """
              Other:
                Type: AWS::EC2::Subnet
                Properties: { VpcId: !Ref Vpc, CidrBlock: 10.0.1.0/24, AvailabilityZone: !If [Never, us-east-1c, !Ref 'AWS::NoValue'] }
            """, conditions: "  Never: !Equals [a, b]\n")
        let subnet = try #require(try importTemplate(text).topology.subnets.first { $0.name == "Other" })
        #expect(subnet.availabilityZone == "us-east-1a")
    }

    @Test func base64PassesItsValueThrough() throws {
        #expect(probed(try importTemplate(template(probe("!Base64 plain")))) == "plain")
    }

    /// The same template in JSON (long forms) and YAML (short forms) reads the same.
    @Test func jsonLongFormsEqualYAMLShortForms() throws {
        let json = """
            {"Resources": {
              "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
              "Probe": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"VpcId": {"Ref": "Vpc"},
                "GroupDescription": {"Fn::Join": ["/", [{"Fn::Select": [0, {"Fn::GetAZs": ""}]}, {"Fn::GetAtt": ["Vpc", "CidrBlock"]},
                  {"Fn::Sub": "${AWS::Region}"}]]}}}}}
            """
        let yaml = """
            Resources:
              Vpc: { Type: AWS::EC2::VPC, Properties: { CidrBlock: 10.0.0.0/16 } }
              Probe:
                Type: AWS::EC2::SecurityGroup
                Properties:
                  VpcId: !Ref Vpc
                  GroupDescription: !Join [/, [!Select [0, !GetAZs ''], !GetAtt Vpc.CidrBlock, !Sub '${AWS::Region}']]
            """
        #expect(probed(try importTemplate(json)) == "us-east-1a/10.0.0.0/16/us-east-1")
        #expect(probed(try importTemplate(yaml)) == probed(try importTemplate(json)))
    }

    /// Fn::ImportValue reads another stack's export: an error naming the export unless given.
    @Test func importValueNeedsItsValue() throws {
        let text = template(probe("!ImportValue shared-vpc-name"))
        let errors = failures(text)
        #expect(errors.count == 1 && errors[0].message.contains("shared-vpc-name") && errors[0].message.contains("--import-value"))
        #expect(errors.first?.line == 16, "the line of the GroupDescription that imports it")
        #expect(probed(try importTemplate(text, options: ImportOptions(importValues: ["shared-vpc-name": "main"]))) == "main")
    }

    /// Parameters: SSM-typed ones get a placeholder; one with no value is an error naming it only where a
    /// modelled property needs it.
    @Test func parametersWithoutValues() throws {
        let parameters = """
              Ami: { Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>' }
              KeyName: { Type: 'AWS::EC2::KeyPair::KeyName' }
              Cidr: { Type: String }
            """
        let unused = template(probe("!Ref Ami"), parameters: parameters)
        #expect(probed(try importTemplate(unused)) == "ssm-parameter:Ami")
        let needed = template(probe("!Ref Cidr"), parameters: parameters)
        let errors = failures(needed)
        #expect(errors.map(\.message) == ["The parameter Cidr has no value and no default: give one with --parameter Cidr=VALUE."])
        #expect(probed(try importTemplate(needed, options: ImportOptions(parameters: ["Cidr": "given"]))) == "given")
    }
}
