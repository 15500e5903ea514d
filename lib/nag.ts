import { Annotations, Stage, type Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { VENDOR_TEMPLATE_ID } from './stacks/shared-stack.js';

/** One cdk-nag AwsSolutions finding that no acknowledgement covers. */
export interface NagFinding {
  readonly ruleId: string;
  readonly constructPath: string;
  readonly description: string;
}

export interface NagResult {
  /** Findings on resources we build: each is an error annotation, so `cdk synth` fails on it. */
  readonly own: readonly NagFinding[];
  /** Findings on resources of the vendor templates: reported as warnings, never acknowledged on the vendor's behalf. */
  readonly vendor: readonly NagFinding[];
}

/**
 * Runs cdk-nag's AwsSolutions pack over the stacks. Our own resources must be clean or carry an acknowledgement with a
 * written reason (see the stacks). The vendor's templates are not ours to change, so their findings are shown as
 * warnings, once per stack, for the user to take up with the vendor.
 */
export function runAwsSolutionsChecks(stacks: readonly Stack[]): NagResult {
  const pack = new AwsSolutionsChecks();
  const own: NagFinding[] = [];
  const vendor: NagFinding[] = [];
  for (const stack of stacks) {
    const report = pack.validateScope(stack);
    const vendorHere: NagFinding[] = [];
    // A stack may hold Stages (the pipeline stack's targets): their stacks are judged as stacks of their own.
    const nestedStages = stack.node
      .findAll()
      .filter((c) => Stage.isStage(c))
      .map((c) => `${c.node.path}/`);
    for (const v of report.violations) {
      for (const r of v.violatingResources) {
        if (nestedStages.some((p) => (r.constructPath ?? '').startsWith(p))) continue;
        const finding = {
          ruleId: v.ruleName,
          constructPath: r.constructPath ?? stack.node.path,
          description: v.description,
        };
        if (finding.constructPath.startsWith(`${stack.node.path}/${VENDOR_TEMPLATE_ID}/`)) vendorHere.push(finding);
        else {
          own.push(finding);
          Annotations.of(stack).addError(
            `cdk-nag ${finding.ruleId} at ${finding.constructPath}: ${finding.description}`,
          );
        }
      }
    }
    if (vendorHere.length > 0) {
      const lines = vendorHere.map((f) => `${f.ruleId} at ${f.constructPath.slice(stack.node.path.length + 1)}`);
      Annotations.of(stack).addWarningV2(
        'taegis-migrate:vendor-nag-findings',
        `cdk-nag AwsSolutions found ${vendorHere.length} issue(s) in the vendor template (not changed by taegis-migrate; review with the vendor): ${lines.join('; ')}`,
      );
      vendor.push(...vendorHere);
    }
  }
  return { own, vendor };
}
