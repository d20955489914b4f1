"""Validates `localvpc check` reports with third-party tools: SARIF against the SARIF 2.1.0 JSON schema
(jsonschema), JUnit XML with a JUnit parser (junitparser), JSON with the standard library.

Usage: validate_reports.py SCHEMA REPORT.sarif REPORT.xml REPORT.json EXPECTED_TESTS EXPECTED_FAILURES
Prints one line per failing result location as `ruleId level uri:line`, then "all checks passed".
"""
import json
import sys

import jsonschema
from junitparser import Failure as JUnitFailure
from junitparser import JUnitXml

from seed_common import check, run

schema_path, sarif_path, junit_path, json_path, tests, failures = sys.argv[1:7]


def main():
    schema = json.load(open(schema_path))
    sarif = json.load(open(sarif_path))
    jsonschema.validate(sarif, schema)
    check(sarif["version"] == "2.1.0", "SARIF is valid against the 2.1.0 schema")
    for result in sarif["runs"][0]["results"]:
        for location in result["locations"]:
            physical = location["physicalLocation"]
            print(result["ruleId"], result["level"], f'{physical["artifactLocation"]["uri"]}:{physical.get("region", {}).get("startLine", "-")}')

    xml = JUnitXml.fromfile(junit_path)
    cases = [case for suite in xml for case in suite]
    failed = [case for case in cases if any(isinstance(r, JUnitFailure) for r in case.result)]
    check(len(cases) == int(tests) and len(failed) == int(failures), f"JUnit: {len(cases)} test cases, {len(failed)} failures")
    check(all(case.system_out for case in cases), "every JUnit test case has the path in system-out")

    report = json.load(open(json_path))
    check(report["summary"] == {"intents": int(tests), "passed": int(tests) - int(failures), "failed": int(failures)}, "JSON summary")
    check(all("NetworkPathFound" in intent["analysis"] for intent in report["intents"]), "JSON carries each full analysis")


run(main)
