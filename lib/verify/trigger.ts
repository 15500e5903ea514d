import { GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import type { AwsClientFactory } from '../aws/clients.js';
import { awsErrorName } from '../aws/errors.js';
import { readNotifications, replaceNotifications } from './bucket-write.js';
import { addS3Permission, describePermission, hasS3Permission } from './lambda-permission.js';
import {
  describeEntry,
  parseLambdaArn,
  planBucketNotifications,
  taegisFunctionsToCheck,
  type BucketNotifications,
  type StackTriggerPlan,
} from './notifications.js';
import { desiredPermission, type S3InvokePermission } from './permission.js';
import type { BucketChange, CheckStatus } from './report.js';
import { describeError, failed, record, type StackWork } from './work.js';

/** What the trigger move needs from the run's options. */
export interface TriggerMoveOptions {
  readonly dryRun: boolean;
  /**
   * `verify --check` (a dry run that is a drift check): what would be written is a failure, not a warning.
   * @default false
   */
  readonly check?: boolean;
  readonly backupDir: string;
}

/** Where a new entry's events and filter came from, for the check's detail. */
function origin(s: StackTriggerPlan): string {
  if (s.fromConfig) return ' (events and filter from the config "trigger")';
  return s.inheritedFrom ? ` (events and filter of ${s.inheritedFrom.Id})` : '';
}

/** The trigger check of a stack whose bucket notifies an SNS topic: the topic is the delivery path, not us. */
function viaTopicNote(w: StackWork): string {
  return `no direct trigger: the bucket reaches ${w.functionName ?? 'the function'} through topic ${w.snsTopicArn} (see the sns check)`;
}

function staleCount(n: number): string {
  return `${n} stale entr${n === 1 ? 'y' : 'ies'}`;
}

/** Is a Taegis function gone? Cached: several buckets may point at the same old function. */
export function isGone(clients: AwsClientFactory, arn: string, cache: Map<string, Promise<boolean>>): Promise<boolean> {
  let p = cache.get(arn);
  if (!p) {
    const parsed = parseLambdaArn(arn);
    p = clients
      .lambda(parsed?.region ?? 'us-east-1')
      .send(new GetFunctionConfigurationCommand({ FunctionName: arn }))
      .then(
        () => false,
        (err: unknown) => {
          if (awsErrorName(err) === 'ResourceNotFoundException') return true;
          throw err;
        },
      );
    cache.set(arn, p);
  }
  return p;
}

/**
 * The trigger move for one bucket: read once, plan, check permissions and overlaps, back up, re-read, put once,
 * read back. Every stack on the bucket gets its `trigger` check from here.
 */
export async function moveTriggers(
  clients: AwsClientFactory,
  region: string,
  bucket: string,
  works: readonly StackWork[],
  /** Stacks configured on this bucket but not in this run (--stack): their entries are left alone. */
  alsoHeld: readonly string[],
  opts: TriggerMoveOptions,
  now: () => Date,
  goneCache: Map<string, Promise<boolean>>,
): Promise<BucketChange> {
  const start = now();
  const ready = works.filter((w) => !failed(w) && w.functionArn);
  const held = works.filter((w) => !ready.includes(w));
  const account = works[0]?.account ?? '';
  const base = { region, bucket, stacks: works.map((w) => w.stackName) };
  const empty = { kept: [], removed: [], added: [], permissionsAdded: [], warnings: [] };
  const setAll = (status: CheckStatus, detail: (w: StackWork) => string, warnings: readonly string[] = []): void => {
    for (const w of ready) record(w, 'trigger', start, now, status, detail(w), warnings);
  };
  if (ready.length === 0) {
    return {
      ...base,
      ...empty,
      outcome: 'skipped',
      detail: 'no stack on this bucket passed its earlier checks; nothing read or written',
    };
  }

  const s3 = clients.s3(region);
  const lambda = clients.lambda(region);
  const target = { region, bucket, account };
  let before: BucketNotifications | undefined;
  let backupFile: string | undefined;
  try {
    before = await readNotifications(s3, target);
    const targets = ready.map((w) => ({
      stackName: w.stackName,
      functionArn: w.functionArn!,
      ...(w.trigger ? { trigger: w.trigger } : {}),
      ...(w.snsTopicArn ? { viaTopic: w.snsTopicArn } : {}),
    }));
    const toCheck = taegisFunctionsToCheck(before, targets);
    const goneList = await Promise.all(
      toCheck.map(async (arn) => ((await isGone(clients, arn, goneCache)) ? arn : undefined)),
    );
    const plan = planBucketNotifications({
      current: before,
      targets,
      goneFunctions: new Set(goneList.filter((a): a is string => a !== undefined)),
      heldStacks: [...held.map((w) => w.stackName), ...alsoHeld],
    });
    const kept = [
      ...plan.kept.map((k) => describeEntry(k.kind, k.entry)),
      ...plan.stacks
        .filter((s) => s.status === 'in-place')
        .map((s) => `${describeEntry('lambda', s.desired)} (${s.stackName}'s trigger, already in place)`),
    ];
    const removed = plan.removed.map(
      (r) =>
        `${describeEntry('lambda', r.entry)} (${r.reason === 'function-gone' ? 'function gone' : 'stale entry for this function'})`,
    );
    const added = plan.stacks.filter((s) => s.status === 'added').map((s) => describeEntry('lambda', s.desired));
    const warnings = [...plan.warnings];

    if (plan.overlaps.length > 0) {
      const why = plan.overlaps.map((o) => `${o.desired} overlaps ${o.conflictsWith}`).join('; ');
      const stacks = [...new Set(plan.overlaps.map((o) => o.stackName))].join(', ');
      setAll(
        'fail',
        () =>
          `refused, nothing written to ${bucket}: ${why} (real S3 rejects this as "ambiguously defined"); in the config, give ${stacks} a "trigger" under regions[].lambdaStacks[] ({ "events": [...], "prefix": "...", "suffix": "..." }) disjoint from the other entry, then re-run`,
      );
      return { ...base, kept, removed, added, permissionsAdded: [], warnings, outcome: 'refused', detail: why, before };
    }

    // Permission first: real S3 validates the destination on put.
    const partition = parseLambdaArn(ready[0]!.functionArn!)?.partition ?? 'aws';
    const bucketArn = `arn:${partition}:s3:::${bucket}`;
    const missing: { w: StackWork; perm: S3InvokePermission }[] = [];
    // A stack reached through a topic is invoked by SNS, not S3: its permission is the sns check's.
    for (const w of ready.filter((x) => x.snsTopicArn === undefined)) {
      if (!(await hasS3Permission(lambda, w.functionArn!, bucketArn, account))) {
        missing.push({ w, perm: desiredPermission(w.functionName!, bucketArn, account, bucket) });
      }
    }
    const permissionsAdded = missing.map((m) => describePermission(m.perm));
    const planned = { ...base, kept, removed, added, permissionsAdded, warnings, before };

    if (opts.dryRun) {
      if (!plan.changed && missing.length === 0) {
        setAll('pass', (w) =>
          w.snsTopicArn
            ? `${viaTopicNote(w)}; nothing to change`
            : 'trigger and permission already in place; nothing to change',
        );
        return { ...planned, outcome: 'unchanged', detail: 'already right', after: before };
      }
      for (const w of ready) {
        const s = plan.stacks.find((p) => p.stackName === w.stackName);
        if (!s) {
          const removing =
            plan.removed.length > 0 ? `; would remove ${staleCount(plan.removed.length)} on the bucket` : '';
          record(w, 'trigger', start, now, 'warn', `dry run: ${viaTopicNote(w)}${removing}`);
          continue;
        }
        const perm = missing.some((m) => m.w === w);
        const what = [
          s.status === 'added' ? `would add trigger ${s.desired.Id}${origin(s)}` : 'trigger in place',
          perm ? 'would add the S3 invoke permission' : '',
          plan.removed.length > 0
            ? `would remove ${plan.removed.length} stale entr${plan.removed.length === 1 ? 'y' : 'ies'} on the bucket`
            : '',
        ].filter(Boolean);
        // A drift check fails a stack on anything it would write for it (its entry, its permission, stale entries on
        // its bucket); a stack whose own trigger is in place while another's drifted passes.
        if (opts.check === true) {
          if (s.status === 'added' || perm || plan.removed.length > 0)
            record(w, 'trigger', start, now, 'fail', `drift: ${what.join('; ')}`);
          else record(w, 'trigger', start, now, 'pass', 'trigger and permission in place');
        } else record(w, 'trigger', start, now, 'warn', `dry run: ${what.join('; ')}`);
      }
      return {
        ...planned,
        outcome: 'would-change',
        detail: opts.check === true ? 'drift: nothing written' : 'dry run: nothing written',
        after: plan.merged,
      };
    }

    for (const m of missing) await addS3Permission(lambda, m.perm, m.w.functionArn!, bucketArn, account);

    if (!plan.changed) {
      setAll('pass', (w) =>
        w.snsTopicArn
          ? `${viaTopicNote(w)}; nothing changed`
          : missing.some((m) => m.w === w)
            ? 'trigger already in place; added the S3 invoke permission'
            : 'trigger and permission already in place; nothing changed',
      );
      return {
        ...planned,
        outcome: missing.length > 0 ? 'changed' : 'unchanged',
        detail: missing.length > 0 ? 'permission added; configuration unchanged' : 'already right',
        after: before,
      };
    }

    const written = await replaceNotifications(s3, target, {
      current: before,
      desired: plan.merged,
      backupDir: opts.backupDir,
      savedAt: now(),
      confirmUnchanged: true,
      onBackup: (file) => (backupFile = file),
    });
    if (written.outcome === 'changed-meanwhile') {
      setAll(
        'fail',
        () =>
          `aborted, nothing written to ${bucket}: its notification configuration changed while verify ran; re-run to plan again`,
      );
      return {
        ...planned,
        backupFile: written.backupFile,
        outcome: 'aborted',
        detail: 'changed by someone else between read and write',
        after: written.after,
      };
    }
    if (written.outcome === 'read-back-differs') {
      setAll(
        'fail',
        () =>
          `written, but reading ${bucket} back differs from what was put; compare with backup ${written.backupFile}`,
      );
      return {
        ...planned,
        backupFile: written.backupFile,
        outcome: 'failed',
        detail: 'read-back differs from what was put',
        after: written.after,
      };
    }
    for (const w of ready) {
      const s = plan.stacks.find((p) => p.stackName === w.stackName);
      if (!s) {
        const removed = plan.removed.length > 0 ? `; removed ${staleCount(plan.removed.length)}; read back ok` : '';
        record(w, 'trigger', start, now, 'pass', `${viaTopicNote(w)}${removed}`, warnings);
        continue;
      }
      const parts = [
        s.status === 'added' ? `added trigger ${s.desired.Id}${origin(s)}` : 'trigger in place',
        missing.some((m) => m.w === w) ? 'added the S3 invoke permission' : '',
        plan.removed.length > 0
          ? `removed ${plan.removed.length} stale entr${plan.removed.length === 1 ? 'y' : 'ies'}`
          : '',
      ].filter(Boolean);
      record(w, 'trigger', start, now, 'pass', `${parts.join('; ')}; read back ok`, warnings);
    }
    return {
      ...planned,
      backupFile: written.backupFile,
      outcome: 'changed',
      detail: 'configuration written and read back',
      after: written.after,
    };
  } catch (err) {
    setAll('fail', () => `bucket ${bucket}: ${describeError(err)}`);
    return {
      ...base,
      ...empty,
      outcome: 'failed',
      detail: describeError(err),
      ...(before ? { before } : {}),
      // The backup may already be on disk when the put or read-back failed: say where, it is what a restore needs.
      ...(backupFile !== undefined ? { backupFile } : {}),
    };
  }
}
