import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  CreateChangeSetCommand,
  DeleteChangeSetCommand,
  DescribeChangeSetCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  paginateDescribeChangeSet,
  type Change,
  type CloudFormationClient,
  type Parameter,
} from '@aws-sdk/client-cloudformation';
import { awsErrorMessage, awsErrorName, reasonOf } from '../aws/errors.js';
import { MAX_TEMPLATE_BODY_BYTES } from './assembly.js';
import { assessChanges, changeRows, type ChangeRow, type Finding } from './rule.js';
import { parseCfnTemplate, type CfnTemplate } from '../artifacts/cfn-yaml.js';

/** What happened to one configured stack. */
export type StackPlanState = 'changes' | 'no-changes' | 'missing' | 'error';

export interface StackPlan {
  /** The target's account, when the run spans several. */
  readonly account?: string;
  readonly region: string;
  readonly stackName: string;
  readonly state: StackPlanState;
  readonly changeSetName?: string;
  /** True once the change set is gone again (or was never created). */
  readonly changeSetDeleted: boolean;
  readonly changes: readonly ChangeRow[];
  readonly findings: readonly Finding[];
  readonly error?: string;
  readonly fix?: string;
}

export interface PlanStackInput {
  readonly region: string;
  readonly stackName: string;
  /** The synthesized template to plan. */
  readonly templateFile: string;
  /** Account, for the bootstrap hint. */
  readonly account?: string;
  /**
   * Name the account in messages (an organization).
   * @default false
   */
  readonly nameAccount?: boolean;
}

export interface ChangeSetOptions {
  /** Delay between DescribeChangeSet polls. @default 2000 */
  readonly pollMs?: number;
  /** Give up waiting for the change set after this long. @default 600000 */
  readonly timeoutMs?: number;
  /**
   * Keep the stack's current value of a parameter the synthesized template leaves to a default, as `cdk deploy` and
   * `taegis-migrate deploy` do by default; false plans a deploy run with `--no-previous-parameters`.
   * @default true
   */
  readonly previousParameters?: boolean;
}

const NO_CHANGES = /didn't contain changes|No updates are to be performed|no changes/i;

/** A name CloudFormation accepts and that says who made it: taegis-plan-<time>-<random>. */
export function changeSetName(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:T.Z]/g, '')
    .slice(0, 14);
  return `taegis-plan-${stamp}-${randomBytes(3).toString('hex')}`;
}

/**
 * Parameters for the change set, chosen as the deploy chooses them (the CDK toolkit's `ParameterValues`), so the
 * plan shows what the deploy will do. The app bakes every config value into the template; what is left are the
 * vendor's defaulted parameters (`EnableObjectTagging`) and `BootstrapVersion`. With previous parameters (the
 * deploy's default) a parameter the stack already has keeps its value; otherwise the template's default applies,
 * passed explicitly so the change set shows it. A parameter with neither cannot be deployed: reported as missing.
 */
export function changeSetParameters(
  template: CfnTemplate,
  existing: ReadonlySet<string>,
  previousParameters = true,
): { parameters: Parameter[]; missing: string[] } {
  const parameters: Parameter[] = [];
  const missing: string[] = [];
  for (const [key, p] of Object.entries(template.Parameters ?? {})) {
    if (previousParameters && existing.has(key)) parameters.push({ ParameterKey: key, UsePreviousValue: true });
    else if (p.Default !== undefined) parameters.push({ ParameterKey: key, ParameterValue: defaultText(p.Default) });
    else missing.push(key);
  }
  return { parameters, missing };
}

// A CommaDelimitedList's default may be written as a list in YAML; CloudFormation wants "a,b".
function defaultText(value: unknown): string {
  if (Array.isArray(value)) return value.map((v) => String(v)).join(',');
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

/** Turns a CreateChangeSet / DescribeChangeSet failure into the cause and the fix the user needs. */
export function explainFailure(reason: string, input: PlanStackInput): { error: string; fix: string } {
  if (/cdk-bootstrap|cdk bootstrap|Unable to fetch parameters|BootstrapVersion/i.test(reason)) {
    return {
      error: `the region is not bootstrapped for CDK: ${reason}`,
      fix: `run "npx cdk bootstrap aws://${input.account ?? '<account>'}/${input.region}" (once per account and region), then plan again`,
    };
  }
  if (/Requires capabilities/i.test(reason)) {
    return { error: reason, fix: 'this is a bug in plan: report it with the template' };
  }
  return { error: reason, fix: 'read the reason; fix the config or the template, then plan again' };
}

async function existingStack(
  cfn: CloudFormationClient,
  stackName: string,
): Promise<{ parameters: Set<string> } | undefined> {
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = out.Stacks?.[0];
    // REVIEW_IN_PROGRESS: only a change set was ever made for it, no resources: there is nothing to update in place.
    if (!stack || stack.StackStatus === 'REVIEW_IN_PROGRESS') return undefined;
    return { parameters: new Set((stack.Parameters ?? []).map((p) => p.ParameterKey ?? '')) };
  } catch (err) {
    if (awsErrorName(err) === 'ValidationError' && /does not exist/i.test(awsErrorMessage(err))) return undefined;
    throw err;
  }
}

async function currentTemplate(cfn: CloudFormationClient, stackName: string): Promise<CfnTemplate | undefined> {
  try {
    const out = await cfn.send(new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Original' }));
    return out.TemplateBody ? parseCfnTemplate(out.TemplateBody) : undefined;
  } catch {
    // Only sharpens the rule for removed resources; the type-based rule still applies without it.
    return undefined;
  }
}

/**
 * Plans one stack: creates a change set from the synthesized template, waits for it, reads every change,
 * and deletes it again whatever happened. The change set is never executed.
 */
export async function planStack(
  cfn: CloudFormationClient,
  input: PlanStackInput,
  options: ChangeSetOptions = {},
): Promise<StackPlan> {
  const base = { region: input.region, stackName: input.stackName };
  // Before a change set exists there is nothing to delete.
  const early = (state: 'error' | 'missing', error: string, fix: string): StackPlan => ({
    ...base,
    state,
    changeSetDeleted: true,
    changes: [],
    findings: [],
    error,
    fix,
  });
  const raw = readFileSync(input.templateFile, 'utf8');
  // cdk synth indents its JSON; the same template without the whitespace often fits the inline limit.
  const body = raw.trimStart().startsWith('{') ? JSON.stringify(JSON.parse(raw)) : raw;
  const size = Buffer.byteLength(body, 'utf8');
  if (size > MAX_TEMPLATE_BODY_BYTES) {
    return early(
      'error',
      `the synthesized template is ${size} bytes (without whitespace); CloudFormation takes at most ${MAX_TEMPLATE_BODY_BYTES} bytes inline and plan does not upload templates`,
      'review this stack with "npx cdk diff" (it uploads large templates to the bootstrap bucket) and report the size',
    );
  }
  const template = parseCfnTemplate(body);
  let stack: { parameters: Set<string> } | undefined;
  try {
    stack = await existingStack(cfn, input.stackName);
  } catch (err) {
    return early(
      'error',
      `cannot describe the stack: ${reasonOf(err)}`,
      'check the credentials and their cloudformation:DescribeStacks permission',
    );
  }
  if (!stack) {
    return early(
      'missing',
      `stack ${input.stackName} does not exist in ${input.nameAccount === true && input.account !== undefined ? `account ${input.account} region ${input.region}` : input.region}`,
      'correct "stackName"/"region" in the config (taegis-migrate discover lists the existing stacks); the app only updates stacks in place',
    );
  }
  const previous = options.previousParameters ?? true;
  const { parameters, missing } = changeSetParameters(template, stack.parameters, previous);
  if (missing.length > 0) {
    return early(
      'error',
      `the synthesized template's parameter(s) ${missing.join(', ')} have no default and ${previous ? 'the stack has no value for them' : 'previous values are not kept (--no-previous-parameters)'}`,
      'set them in the config so the app bakes them into the template',
    );
  }

  const name = changeSetName();
  let attempted = false;
  let deleted = false;
  let result: Omit<StackPlan, 'changeSetDeleted'>;
  try {
    // Set before the call: a lost response may still have created it, so the delete below runs either way.
    attempted = true;
    await cfn.send(
      new CreateChangeSetCommand({
        StackName: input.stackName,
        ChangeSetName: name,
        ChangeSetType: 'UPDATE',
        TemplateBody: body,
        Parameters: parameters,
        Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'],
        Description: 'taegis-migrate plan: review only, never executed, deleted right after',
      }),
    );
    result = await waitAndRead(cfn, input, name, template, options);
  } catch (err) {
    result = {
      ...base,
      state: 'error',
      changeSetName: name,
      changes: [],
      findings: [],
      ...explainFailure(reasonOf(err), input),
    };
  } finally {
    if (attempted) deleted = await deleteChangeSet(cfn, input.stackName, name);
  }
  if (!deleted) {
    return {
      ...result,
      state: 'error',
      changeSetDeleted: false,
      error: `${result.error ? `${result.error}; ` : ''}the change set ${name} could not be deleted`,
      fix: `delete it: aws cloudformation delete-change-set --stack-name ${input.stackName} --change-set-name ${name} --region ${input.region}`,
    };
  }
  return { ...result, changeSetDeleted: true };
}

async function waitAndRead(
  cfn: CloudFormationClient,
  input: PlanStackInput,
  name: string,
  template: CfnTemplate,
  options: ChangeSetOptions,
): Promise<Omit<StackPlan, 'changeSetDeleted'>> {
  const base = { region: input.region, stackName: input.stackName, changeSetName: name };
  const deadline = Date.now() + (options.timeoutMs ?? 600_000);
  const pollMs = options.pollMs ?? 2000;
  for (;;) {
    const first = await cfn.send(new DescribeChangeSetCommand({ StackName: input.stackName, ChangeSetName: name }));
    if (first.Status === 'FAILED') {
      const reason = first.StatusReason ?? 'no reason given';
      if (NO_CHANGES.test(reason)) return { ...base, state: 'no-changes', changes: [], findings: [] };
      return { ...base, state: 'error', changes: [], findings: [], ...explainFailure(reason, input) };
    }
    if (first.Status === 'CREATE_COMPLETE') {
      const changes: Change[] = [...(first.Changes ?? [])];
      // The first page is in hand: the paginator goes on from its token.
      if (first.NextToken) {
        for await (const page of paginateDescribeChangeSet(
          { client: cfn, startingToken: first.NextToken },
          { StackName: input.stackName, ChangeSetName: name },
        )) {
          changes.push(...(page.Changes ?? []));
        }
      }
      const rows = changeRows(changes);
      const current = await currentTemplate(cfn, input.stackName);
      const findings = assessChanges(rows, { template, ...(current ? { currentTemplate: current } : {}) });
      return { ...base, state: rows.length > 0 ? 'changes' : 'no-changes', changes: rows, findings };
    }
    if (Date.now() > deadline) {
      return {
        ...base,
        state: 'error',
        changes: [],
        findings: [],
        error: `the change set was still ${first.Status ?? 'pending'} after ${Math.round((options.timeoutMs ?? 600_000) / 1000)} s`,
        fix: 'plan again later; check the stack in the console',
      };
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

async function deleteChangeSet(cfn: CloudFormationClient, stackName: string, name: string): Promise<boolean> {
  try {
    await cfn.send(new DeleteChangeSetCommand({ StackName: stackName, ChangeSetName: name }));
    return true;
  } catch (err) {
    // Never created (the create call failed before CloudFormation kept it): nothing to clean up.
    return awsErrorName(err) === 'ChangeSetNotFoundException' || awsErrorName(err) === 'ChangeSetNotFound';
  }
}
