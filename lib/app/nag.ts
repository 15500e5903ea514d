import { Annotations, Stage, type Stack } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { VENDOR_TEMPLATE_ID } from '../stacks/shared-stack.js';

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
 * written reason (see the stacks). The vendor's templates are not ours to change, so their findings are shown as one
 * warning per vendor template (on the first stack built from it), for the user to take up with the vendor: every stack
 * from the same template repeats the same findings, differing only in names such as the log bucket.
 */
export function runAwsSolutionsChecks(stacks: readonly Stack[]): NagResult {
  const pack = new AwsSolutionsChecks();
  const own: NagFinding[] = [];
  const vendor: NagFinding[] = [];
  // Per vendor template (the stack's class: shared-resources or Lambda): its first stack, its stacks, its findings.
  const byTemplate = new Map<string, { first: Stack; stacks: number; lines: Map<string, string> }>();
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
      const key = stack.constructor.name;
      const group = byTemplate.get(key) ?? { first: stack, stacks: 0, lines: new Map<string, string>() };
      group.stacks += 1;
      for (const f of vendorHere) {
        // The same rule, detail and place relative to the stack is the same finding in every stack of the template.
        const line = `${f.ruleId} at ${f.constructPath.slice(stack.node.path.length + 1)}`;
        group.lines.set(line, line);
      }
      byTemplate.set(key, group);
      vendor.push(...vendorHere);
    }
  }
  for (const { first, stacks: n, lines } of byTemplate.values()) {
    const where = n === 1 ? '' : ` (all ${n} stacks built from it, listed once)`;
    Annotations.of(first).addWarningV2(
      'taegis-migrate:vendor-nag-findings',
      `cdk-nag AwsSolutions found ${lines.size} issue${lines.size === 1 ? '' : 's'} in the vendor template${where} (not changed by taegis-migrate; review with the vendor): ${[...lines.values()].join('; ')}`,
    );
  }
  return { own, vendor };
}
