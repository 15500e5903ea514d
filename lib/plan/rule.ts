import type { Change } from '@aws-sdk/client-cloudformation';

/**
 * The replacement rule, kept pure so it can be tested on recorded DescribeChangeSet answers
 * (moto's change sets carry no `Replacement`).
 */

/** One row of the plan table, as CloudFormation reports it. */
export interface ChangeRow {
  readonly action: string;
  readonly logicalResourceId: string;
  readonly resourceType: string;
  /** `True`, `False`, `Conditional`; undefined when CloudFormation did not say (Add, Remove, or an emulator). */
  readonly replacement?: string;
  readonly physicalResourceId?: string;
}

export type Severity = 'fail' | 'warn';

export interface Finding {
  readonly severity: Severity;
  readonly logicalResourceId: string;
  readonly resourceType: string;
  readonly message: string;
}

/**
 * Resource types the S3 trigger path depends on: the function and what lets it run and be invoked
 * (role, policies, permission, versions/aliases the notification may target, its key and log group, an SNS
 * or SQS hop). Replacing any of them breaks or resets what the bucket notification points at.
 */
export const TRIGGER_PATH_TYPES: ReadonlySet<string> = new Set([
  'AWS::Lambda::Function',
  'AWS::Lambda::Permission',
  'AWS::Lambda::Alias',
  'AWS::Lambda::Version',
  'AWS::Lambda::EventSourceMapping',
  'AWS::Lambda::EventInvokeConfig',
  'AWS::IAM::Role',
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::IAM::RolePolicy',
  'AWS::KMS::Key',
  'AWS::KMS::Alias',
  'AWS::Logs::LogGroup',
  'AWS::SNS::Topic',
  'AWS::SNS::Subscription',
  'AWS::SNS::TopicPolicy',
  'AWS::SQS::Queue',
  'AWS::SQS::QueuePolicy',
  'AWS::S3::BucketPolicy',
]);

type Template = { readonly Resources?: Readonly<Record<string, unknown>> };

/** Logical IDs a value references through Ref, Fn::GetAtt (both forms) and Fn::Sub's ${X} / ${X.Attr}. */
function references(value: unknown, into: Set<string>): void {
  if (Array.isArray(value)) {
    for (const v of value) references(v, into);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (key === 'Ref' && typeof v === 'string') into.add(v);
    else if (key === 'Fn::GetAtt') {
      if (Array.isArray(v) && typeof v[0] === 'string') into.add(v[0]);
      else if (typeof v === 'string') into.add(v.split('.')[0] ?? v);
    } else if (key === 'Fn::Sub') {
      const text: unknown = Array.isArray(v) ? (v as unknown[])[0] : v;
      if (typeof text === 'string')
        for (const m of text.matchAll(/\$\{([A-Za-z0-9]+)(?:\.[^}]*)?\}/g)) if (m[1]) into.add(m[1]);
      if (Array.isArray(v)) references(v[1], into);
    } else references(v, into);
  }
}

/**
 * Logical IDs on the trigger path of the given template: every Lambda function, what it references
 * (transitively: role, key, ...) and what references it (permission, alias, a custom resource wiring the
 * notification), so a vendor template's own wiring counts whatever its types.
 */
export function triggerPath(template: Template | undefined): Set<string> {
  const resources = template?.Resources ?? {};
  const deps = new Map<string, Set<string>>();
  for (const [id, r] of Object.entries(resources)) {
    const refs = new Set<string>();
    references((r as { Properties?: unknown }).Properties, refs);
    const dependsOn = (r as { DependsOn?: unknown }).DependsOn;
    for (const d of Array.isArray(dependsOn) ? dependsOn : [dependsOn]) if (typeof d === 'string') refs.add(d);
    deps.set(id, new Set([...refs].filter((x) => x in resources)));
  }
  const functions = Object.entries(resources)
    .filter(([, r]) => (r as { Type?: unknown }).Type === 'AWS::Lambda::Function')
    .map(([id]) => id);
  const onPath = new Set<string>(functions);
  // What the function needs, transitively.
  const stack = [...functions];
  while (stack.length > 0) {
    const id = stack.pop() as string;
    for (const d of deps.get(id) ?? []) {
      if (onPath.has(d)) continue;
      onPath.add(d);
      stack.push(d);
    }
  }
  // What points at a function directly.
  for (const [id, d] of deps) if (functions.some((f) => d.has(f))) onPath.add(id);
  return onPath;
}

/** The table rows of a change set's `Changes`, in CloudFormation's order. */
export function changeRows(changes: readonly Change[]): ChangeRow[] {
  return changes
    .filter((c) => c.ResourceChange !== undefined)
    .map((c) => {
      const rc = c.ResourceChange ?? {};
      return {
        action: rc.Action ?? 'Unknown',
        logicalResourceId: rc.LogicalResourceId ?? '?',
        resourceType: rc.ResourceType ?? '?',
        ...(rc.Replacement !== undefined ? { replacement: rc.Replacement } : {}),
        ...(rc.PhysicalResourceId ? { physicalResourceId: rc.PhysicalResourceId } : {}),
      };
    });
}

export interface AssessOptions {
  /** The synthesized template; its function's dependencies count as trigger path whatever their type. */
  readonly template?: Template;
  /** The deployed template; resources only it has (being removed) are judged by it. */
  readonly currentTemplate?: Template;
}

/**
 * Fails a change that removes or replaces (or may replace) anything on the trigger path; warns for the
 * same on other resources and for a trigger-path change whose replacement CloudFormation did not report.
 */
export function assessChanges(rows: readonly ChangeRow[], options: AssessOptions = {}): Finding[] {
  const onPath = new Set([...triggerPath(options.template), ...triggerPath(options.currentTemplate)]);
  const findings: Finding[] = [];
  for (const row of rows) {
    const critical = TRIGGER_PATH_TYPES.has(row.resourceType) || onPath.has(row.logicalResourceId);
    const what = critical ? 'the S3 trigger depends on it' : 'not on the trigger path';
    const add = (severity: Severity, message: string): void => {
      findings.push({
        severity,
        logicalResourceId: row.logicalResourceId,
        resourceType: row.resourceType,
        message: `${message} (${what})`,
      });
    };
    const sev: Severity = critical ? 'fail' : 'warn';
    if (row.action === 'Remove') add(sev, 'would be removed');
    else if (row.action === 'Dynamic')
      add(sev, 'CloudFormation can only decide at deploy time what happens to it (Dynamic)');
    else if (row.action === 'Modify') {
      if (row.replacement === 'True') add(sev, 'would be replaced');
      else if (row.replacement === 'Conditional') add(sev, 'may be replaced (Replacement: Conditional)');
      else if (row.replacement === undefined && critical)
        add('warn', 'is modified and CloudFormation did not report whether it is replaced');
    }
  }
  return findings;
}
