import type { AwsClientFactory } from '../aws/clients.js';
import type { WaveOutcome } from '../cli/fleet.js';
import { formatTable } from '../cli/table.js';
import type { MigrationConfig } from '../config/load.js';
import { mapLimit } from '../util/concurrency.js';
import { findStack, type AssemblyStack } from './assembly.js';
import { planStack, type ChangeSetOptions, type StackPlan } from './changeset.js';

export interface PlanReport {
  /** `fail` when any stack fails the rule, is missing, or could not be planned. */
  readonly result: 'pass' | 'fail';
  readonly stacks: readonly StackPlan[];
  /**
   * Each wave's failed targets against its tolerance, when the run had waves or a failure tolerance.
   * @default - absent
   */
  readonly waves?: readonly WaveOutcome[];
}

export interface PlanOptions extends ChangeSetOptions {
  /**
   * The clients of each account (the assumed role's for an account that is not the caller's).
   * @default - the `clients` given to plan, for every account
   */
  readonly clientsFor?: (account: string) => AwsClientFactory;
  /**
   * Accounts that cannot be entered, with the reason: their stacks are reported as not planned, nothing is sent.
   * @default - none
   */
  readonly unreachable?: ReadonlyMap<string, string>;
  /** Stacks planned at once (each polls CloudFormation). @default 4 */
  readonly concurrency?: number;
  /**
   * Name each stack's account even when these targets are all in one account (one wave of a fleet).
   * @default - only when the config spans several accounts
   */
  readonly labelAccounts?: boolean;
}

export function stackFails(s: StackPlan): boolean {
  return s.state === 'missing' || s.state === 'error' || s.findings.some((f) => f.severity === 'fail');
}

/** Plans every configured Lambda stack against the synthesized assembly. Read-only apart from the change sets it deletes again. */
export async function plan(
  clients: AwsClientFactory,
  config: MigrationConfig,
  assembly: readonly AssemblyStack[],
  options: PlanOptions = {},
): Promise<PlanReport> {
  const multiAccount = options.labelAccounts === true || new Set(config.regions.map((r) => r.account)).size > 1;
  // Several accounts: grouped by account, then region. One account: the config's order, as always.
  const entries = multiAccount
    ? [...config.regions].sort((a, b) => a.account.localeCompare(b.account) || a.region.localeCompare(b.region))
    : config.regions;
  const targets = entries.flatMap((r) =>
    r.lambdaStacks.map((s) => ({ region: r.region, account: r.account, stackName: s.stackName })),
  );
  const planned = await mapLimit(targets, options.concurrency ?? 4, async (t): Promise<StackPlan> => {
    const unreachable = options.unreachable?.get(t.account);
    if (unreachable !== undefined) {
      return notPlanned(
        t,
        `account ${t.account}: ${unreachable}`,
        'let the caller assume the configured role in that account (docs/organizations.md), then plan again',
      );
    }
    const synthesized = findStack(assembly, t.region, t.stackName, t.account);
    if (!synthesized) {
      return notPlanned(
        t,
        `no synthesized stack deploys to ${t.stackName} in ${multiAccount ? `account ${t.account} region ${t.region}` : t.region}`,
        'synthesize the app with this config (the assembly may be stale or made from another config)',
      );
    }
    const plan = await planStack(
      (options.clientsFor?.(t.account) ?? clients).cloudFormation(t.region),
      { ...t, templateFile: synthesized.templateFile, nameAccount: multiAccount },
      options,
    );
    return plan;
  });
  const stacks = planned.map((s, i) => (multiAccount ? { account: targets[i]!.account, ...s } : s));
  return { result: stacks.some(stackFails) ? 'fail' : 'pass', stacks };
}

/** A target that was not planned (no request was made for it): an error row with its fix. */
function notPlanned(
  t: { readonly region: string; readonly account: string; readonly stackName: string },
  error: string,
  fix: string,
): StackPlan {
  return { ...t, state: 'error', changeSetDeleted: true, changes: [], findings: [], error, fix };
}

/** The human report: per stack the change set's rows (Action, LogicalResourceId, ResourceType, Replacement) and findings. */
export function formatPlanReport(report: PlanReport): string {
  const out: string[] = [];
  for (const s of report.stacks) {
    const verdict = stackFails(s) ? 'FAIL' : 'ok';
    const where = s.account !== undefined ? `${s.account}/${s.region}` : s.region;
    out.push(`== ${where}/${s.stackName}: ${describeState(s)} [${verdict}]`);
    if (s.changes.length > 0) {
      out.push(
        formatTable(
          ['Action', 'LogicalResourceId', 'ResourceType', 'Replacement'],
          s.changes.map((c) => [c.action, c.logicalResourceId, c.resourceType, c.replacement ?? '-']),
        ),
      );
    }
    for (const f of s.findings)
      out.push(`  ${f.severity === 'fail' ? 'FAIL' : 'warn'}: ${f.logicalResourceId} (${f.resourceType}) ${f.message}`);
    if (s.error) out.push(`  error: ${s.error}`);
    if (s.fix) out.push(`  fix: ${s.fix}`);
    out.push('');
  }
  const failing = report.stacks.filter(stackFails).length;
  out.push(
    report.result === 'pass'
      ? `Result: PASS (${report.stacks.length} stack(s) planned; no change set was executed, all were deleted)`
      : `Result: FAIL (${failing} of ${report.stacks.length} stack(s) need attention before deploying)`,
  );
  return out.join('\n');
}

function describeState(s: StackPlan): string {
  const cs = s.changeSetName
    ? ` (change set ${s.changeSetName}${s.changeSetDeleted ? ', deleted' : ', NOT deleted'})`
    : '';
  switch (s.state) {
    case 'changes':
      return `${s.changes.length} change(s)${cs}`;
    case 'no-changes':
      return `no changes${cs}`;
    case 'missing':
      return 'stack does not exist';
    case 'error':
      return `could not be planned${cs}`;
  }
}

/** The `--json` document for CI. */
export function planJson(report: PlanReport): string {
  return `${JSON.stringify({ version: 1, result: report.result, ...(report.waves ? { waves: report.waves } : {}), stacks: report.stacks.map((s) => ({ ...s, fails: stackFails(s) })) }, null, 2)}\n`;
}
