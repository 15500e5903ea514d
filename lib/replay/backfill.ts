import { InvokeCommand } from '@aws-sdk/client-lambda';
import { paginateListObjectsV2 } from '@aws-sdk/client-s3';
import type { AwsClientFactory } from '../aws/clients.js';
import { reasonOf } from '../aws/errors.js';
import type { Checkpoint } from './checkpoint.js';
import { s3PutEvent, type ListedObject } from './s3-event.js';
import { resolveStack, type StackTarget } from './targets.js';

/** Keys a dry run prints. */
export const DRY_RUN_KEYS = 10;

export interface BackfillOptions {
  readonly since: Date;
  readonly until: Date;
  /** Only keys starting with this. @default - every key */
  readonly prefix?: string;
  readonly dryRun: boolean;
  /** Send objects the checkpoint already has. */
  readonly force: boolean;
  readonly checkpoint: Checkpoint;
  /** Waits for the next invocation slot (the rate limit). */
  readonly pace: () => Promise<void>;
  readonly now: () => Date;
  /** Called after each object sent or failed. @default - silent */
  readonly onProgress?: (p: { readonly stackName: string; readonly done: number; readonly total: number }) => void;
}

export interface StackBackfill {
  readonly account: string;
  readonly region: string;
  readonly stackName: string;
  readonly functionName?: string;
  readonly bucket?: string;
  readonly status: 'ok' | 'failed';
  readonly detail: string;
  /** Objects last modified in the window (and under the prefix). */
  readonly inWindow: number;
  /** Of those, already in the checkpoint (not sent again without --force). */
  readonly alreadySent: number;
  /** Dry run: the first keys that would be sent. */
  readonly wouldSend?: readonly string[];
  /** Keys whose invocation was accepted, in order. */
  readonly sent: readonly string[];
  readonly failed: readonly { readonly key: string; readonly detail: string }[];
}

/**
 * Sends every object of the stack's log bucket last modified in [since, until) to its function, once, as S3 would
 * have announced it: one asynchronous invocation per object with an `ObjectCreated:Put` record. Objects in the
 * checkpoint are left out unless `force`; each accepted invocation goes into it at once.
 */
export async function backfillStack(
  clients: AwsClientFactory,
  t: StackTarget,
  opts: BackfillOptions,
): Promise<StackBackfill> {
  const base = { account: t.account, region: t.region, stackName: t.stack.stackName };
  const empty = { inWindow: 0, alreadySent: 0, sent: [], failed: [] };
  let resolved;
  let objects: ListedObject[];
  try {
    resolved = await resolveStack(clients, t, opts.now);
    objects = await listWindow(clients, t.region, resolved.bucket, opts);
  } catch (err) {
    return { ...base, ...(resolved ?? {}), status: 'failed', detail: reasonOf(err), ...empty };
  }
  const { functionName, bucket, partition } = resolved;
  const target = `${t.account}/${t.region}/${t.stack.stackName}`;
  const entryOf = (o: ListedObject) => ({
    target,
    bucket,
    key: o.key,
    eTag: o.eTag,
    lastModified: o.lastModified.toISOString(),
  });
  const todo = opts.force ? objects : objects.filter((o) => !opts.checkpoint.has(entryOf(o)));
  const counts = { inWindow: objects.length, alreadySent: objects.length - todo.length };
  const window = `${opts.since.toISOString()} to ${opts.until.toISOString()}${opts.prefix ? ` under ${opts.prefix}` : ''}`;
  if (opts.dryRun) {
    return {
      ...base,
      functionName,
      bucket,
      status: 'ok',
      detail: `${todo.length} object${todo.length === 1 ? '' : 's'} of ${bucket} would be sent (${window}; ${counts.alreadySent} already sent)`,
      ...counts,
      wouldSend: todo.slice(0, DRY_RUN_KEYS).map((o) => o.key),
      sent: [],
      failed: [],
    };
  }
  const sent: string[] = [];
  const failed: { key: string; detail: string }[] = [];
  for (const o of todo) {
    try {
      await opts.pace();
      const res = await clients.lambda(t.region).send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'Event',
          Payload: Buffer.from(JSON.stringify(s3PutEvent({ name: bucket, partition, region: t.region }, o))),
        }),
      );
      if (res.StatusCode === 202) {
        opts.checkpoint.add({ ...entryOf(o), sentAt: opts.now().toISOString() });
        sent.push(o.key);
      } else failed.push({ key: o.key, detail: `Invoke answered ${res.StatusCode ?? 'no status'}, not 202` });
    } catch (err) {
      failed.push({ key: o.key, detail: `Invoke: ${reasonOf(err)}` });
    }
    opts.onProgress?.({ stackName: t.stack.stackName, done: sent.length + failed.length, total: todo.length });
  }
  return {
    ...base,
    functionName,
    bucket,
    status: failed.length > 0 ? 'failed' : 'ok',
    detail:
      `${sent.length} object${sent.length === 1 ? '' : 's'} of ${bucket} sent to ${functionName} (${window}; ${counts.alreadySent} already sent)` +
      (failed.length > 0 ? `, ${failed.length} failed (not in the checkpoint: the next run sends them)` : ''),
    ...counts,
    sent,
    failed,
  };
}

/** The bucket's objects last modified in [since, until) under the prefix, in key order. */
async function listWindow(
  clients: AwsClientFactory,
  region: string,
  bucket: string,
  opts: Pick<BackfillOptions, 'since' | 'until' | 'prefix'>,
): Promise<ListedObject[]> {
  const out: ListedObject[] = [];
  const pages = paginateListObjectsV2(
    { client: clients.s3(region) },
    { Bucket: bucket, ...(opts.prefix ? { Prefix: opts.prefix } : {}) },
  );
  for await (const page of pages) {
    for (const o of page.Contents ?? []) {
      const at = o.LastModified;
      if (!o.Key || !at || at < opts.since || at >= opts.until) continue;
      out.push({ key: o.Key, size: o.Size ?? 0, eTag: o.ETag ?? '', lastModified: at });
    }
  }
  return out;
}
