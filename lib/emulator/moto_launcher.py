"""Starts moto's server for our tests and taegis-migrate demo (see docs/emulator.md and ../../../shared/moto-notes.md).

Usage: python3 lib/emulator/moto_launcher.py -H 127.0.0.1 -p PORT

Corrections of moto behaviour that differs from AWS, applied before moto.server.main() runs, live
below; each is minimal and explains itself. Nothing here changes what our code sees from real AWS.
The first two corrections are needed by an in-place update of a console-made stack with a vendor template
included by aws-cdk-lib's cloudformation-include (test/deploy/deploy.moto.test.ts meets both).
"""
import sys

from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing as cfn_parsing
from moto.server import main


# 1. Fn::GetAtt in its string form.
# CloudFormation accepts {"Fn::GetAtt": "Resource.Attribute"} (what YAML's `!GetAtt Resource.Attribute`
# becomes, and what cloudformation-include keeps). moto 5.2.1 only reads the list form
# ["Resource", "Attribute"] and fails with "instance of Fn::GetAtt references undefined resource R".
# Correction: rewrite the string form to the list form when moto parses a template (stack or change
# set). The logical ID cannot contain a dot, so the first dot separates it from the attribute name
# (which may contain dots, e.g. "Endpoint.Address").
def _getatt_to_list_form(node):
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "Fn::GetAtt" and isinstance(value, str) and "." in value:
                out[key] = value.split(".", 1)
            else:
                out[key] = _getatt_to_list_form(value)
        return out
    if isinstance(node, list):
        return [_getatt_to_list_form(v) for v in node]
    return node


_stack_parse_template = cfn_models.Stack.parse_template


def _stack_parse_template_fixed(template):
    return _getatt_to_list_form(_stack_parse_template(template))


cfn_models.Stack.parse_template = staticmethod(_stack_parse_template_fixed)

_change_set_parse_template = cfn_models.ChangeSet._parse_template


def _change_set_parse_template_fixed(self):
    _change_set_parse_template(self)
    self.template_dict = _getatt_to_list_form(self.template_dict)


cfn_models.ChangeSet._parse_template = _change_set_parse_template_fixed


# 2. UpdateStack without parameters, on a stack whose old parameters the new template drops.
# AWS forgets parameters the new template does not declare. moto keeps the old input and resolved
# parameters and then looks each one up in the new template's Parameters: HTTP 500 (KeyError in
# ResourceMap.load_parameters). Correction: before moto loads parameters, drop those the current
# template does not declare, as AWS does.
_load_parameters = cfn_parsing.ResourceMap.load_parameters


def _load_parameters_fixed(self):
    declared = self._template.get("Parameters") or {}
    self.input_parameters = {k: v for k, v in (self.input_parameters or {}).items() if k in declared}
    self.resolved_parameters = {k: v for k, v in self.resolved_parameters.items() if k in declared}
    _load_parameters(self)


cfn_parsing.ResourceMap.load_parameters = _load_parameters_fixed


# 3. UpdateTerminationProtection is missing (moto answers "has not been implemented").
# moto stores EnableTerminationProtection from CreateStack and returns it from DescribeStacks, but has no action
# to change it. The CDK CLI calls it when it updates a stack whose protection differs from the app's (a console-made
# shared stack, unprotected, that the app deploys with protection on). Correction: the action sets the flag, as AWS
# does. Nothing else (e.g. DeleteStack refusing a protected stack) is added.
from moto.cloudformation import responses as cfn_responses  # noqa: E402


def _update_termination_protection(self):
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    stack.enable_termination_protection = str(self._get_param("EnableTerminationProtection")).lower() == "true"
    return cfn_responses.ActionResult({"StackId": stack.stack_id})


cfn_responses.CloudFormationResponse.update_termination_protection = _update_termination_protection


if __name__ == "__main__":
    sys.exit(main())
