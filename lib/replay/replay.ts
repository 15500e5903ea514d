import { InvokeCommand } from '@aws-sdk/client-lambda';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import type { AwsClientFactory } from '../aws/clients.js';
import { reasonOf } from '../aws/errors.js';
import { onFailureDestination, type FailedEventsQueue } from '../verify/checks/failed-events.js';
import { resolveStack, type StackTarget } from './targets.js';

/** What happened to one failed-event record. */
export type ReplayOutcome =
  /** Invoked (accepted with 202) and deleted from the queue. */
  | 'sent'
  /** Dry run: would be sent. */
  | 'would-send'
  /** The invocation was refused: the message stays for the next run. */
  | 'failed'
  /** Invoked, but the delete failed: it will be sent again by the next run. */
  | 'sent-not-deleted'
  /** Not a destination record of this function (unreadable, or another function's): left in the queue. */
  | 'kept';

export interface ReplayedEvent {
  readonly messageId: string;
  readonly outcome: ReplayOutcome;
  /** Bucket and key of the first S3 record of the payload, decoded (when the payload is an S3 event). */
  readonly bucket?: string;
  readonly key?: string;
  /** Why Lambda gave up: `RetriesExhausted`, `EventAgeExceeded`, ... */
  readonly condition?: string;
  /** When the record was written (the record's `timestamp`, else when SQS got it). */
  readonly failedAt?: string;
  readonly detail?: string;
}

export interface StackReplay {
  readonly account: string;
  readonly region: string;
  readonly stackName: string;
  readonly functionName?: string;
  readonly queue?: string;
  /** `failed`: the stack could not be read, or an event was not sent; `skipped`: it has no queue to replay. */
  readonly status: 'ok' | 'failed' | 'skipped';
  readonly detail: string;
  readonly events: readonly ReplayedEvent[];
}

export interface ReplayOptions {
  readonly dryRun: boolean;
  /** At most this many records per stack. */
  readonly max: number;
  /** Waits for the next invocation slot (the rate limit). */
  readonly pace: () => Promise<void>;
  readonly now: () => Date;
  /** Whether the config keeps failed events for the stack: then a missing destination is a failure, not a skip. */
  readonly keeps: (t: StackTarget) => boolean;
  /**
   * Seconds a received record stays hidden from other readers while the run goes on; records not deleted are made
   * visible again at the end of the run (or come back after this, if the run is stopped).
   * @default 120
   */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * Long-poll wait of each receive: with 0 SQS samples only some of its servers and can answer "empty" early.
   * @default 1
   */
  readonly waitTimeSeconds?: number;
}

/** The parts of a Lambda destination record (version 1.0) replay reads. */
interface DestinationRecord {
  readonly timestamp?: string;
  readonly requestContext?: { readonly functionArn?: string; readonly condition?: string };
  readonly requestPayload?: unknown;
}

/**
 * Sends the events of one stack's failed-event queue again: reads the queue the function's own on-failure
 * destination names, invokes the function asynchronously with each record's original `requestPayload`, and deletes a
 * message only once its invocation was accepted. One that fails stays for the next run.
 */
export async function replayStack(
  clients: AwsClientFactory,
  t: StackTarget,
  opts: ReplayOptions,
): Promise<StackReplay> {
  const base = { account: t.account, region: t.region, stackName: t.stack.stackName };
  let functionName: string | undefined;
  let queue: FailedEventsQueue;
  try {
    functionName = (await resolveStack(clients, t, opts.now)).functionName;
    const d = await onFailureDestination(clients, t.region, functionName);
    if (d.kind !== 'queue') {
      const why =
        d.kind === 'none'
          ? `${functionName} has no on-failure destination`
          : `${functionName} sends failed events to ${d.destination}, not to an SQS queue`;
      return opts.keeps(t)
        ? {
            ...base,
            functionName,
            status: 'failed',
            detail: `${why}: deploy the stack (taegis-migrate deploy)`,
            events: [],
          }
        : { ...base, functionName, status: 'skipped', detail: `${why}; nothing to replay`, events: [] };
    }
    queue = d.queue;
  } catch (err) {
    return {
      ...base,
      ...(functionName ? { functionName } : {}),
      status: 'failed',
      detail: reasonOf(err),
      events: [],
    };
  }

  const sqs = clients.sqs(queue.region);
  const events: ReplayedEvent[] = [];
  const seen = new Set<string>();
  /** Received and not deleted (refused, or not this function's): visible again once the run is over. */
  const held: string[] = [];
  let error: string | undefined;
  try {
    while (events.length < opts.max) {
      const res = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queue.url,
          MaxNumberOfMessages: Math.min(10, opts.max - events.length),
          // A dry run only looks: the messages are visible again at once.
          VisibilityTimeout: opts.dryRun ? 0 : (opts.visibilityTimeoutSeconds ?? 120),
          WaitTimeSeconds: opts.waitTimeSeconds ?? 1,
          MessageSystemAttributeNames: ['SentTimestamp'],
        }),
      );
      const fresh = (res.Messages ?? []).filter((m) => m.MessageId !== undefined && !seen.has(m.MessageId));
      // Empty, or only records already handled in this run (a dry run, or a refused one back early): done.
      if (fresh.length === 0) break;
      for (const m of fresh) {
        if (events.length >= opts.max) break;
        seen.add(m.MessageId!);
        const e = await replayMessage(clients, t.region, functionName, queue, m, opts);
        events.push(e);
        if (!opts.dryRun && e.outcome !== 'sent' && m.ReceiptHandle) held.push(m.ReceiptHandle);
      }
    }
  } catch (err) {
    error = `reading ${queue.name}: ${reasonOf(err)}`;
  }
  // Hidden while the run went on (so it did not meet them twice); back now for the next run and other readers. One
  // that cannot be shown again comes back by itself when its visibility timeout ends.
  for (const handle of held) {
    await sqs
      .send(new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: handle, VisibilityTimeout: 0 }))
      .catch(() => undefined);
  }
  const count = (o: ReplayOutcome): number => events.filter((e) => e.outcome === o).length;
  const bad = count('failed') + count('sent-not-deleted');
  const summary = opts.dryRun
    ? `${count('would-send')} event${count('would-send') === 1 ? '' : 's'} would be sent from ${queue.name}`
    : `${count('sent')} sent and deleted from ${queue.name}${bad > 0 ? `, ${bad} not (left for the next run)` : ''}`;
  const kept = count('kept') > 0 ? `; ${count('kept')} left in the queue (not this function's records)` : '';
  return {
    ...base,
    functionName,
    queue: queue.name,
    status: error !== undefined || bad > 0 ? 'failed' : 'ok',
    detail: `${summary}${kept}${events.length >= opts.max ? ` (stopped at --max ${opts.max})` : ''}${error ? `; ${error}` : ''}`,
    events,
  };
}

async function replayMessage(
  clients: AwsClientFactory,
  region: string,
  functionName: string,
  queue: FailedEventsQueue,
  m: Message,
  opts: ReplayOptions,
): Promise<ReplayedEvent> {
  const messageId = m.MessageId!;
  let record: DestinationRecord;
  try {
    record = JSON.parse(m.Body ?? '') as DestinationRecord;
  } catch {
    return { messageId, outcome: 'kept', detail: 'not JSON: not a Lambda destination record' };
  }
  if (record === null || typeof record !== 'object' || record.requestPayload === undefined) {
    return { messageId, outcome: 'kept', detail: 'no requestPayload: not a Lambda destination record' };
  }
  const sentAt = Number(m.Attributes?.SentTimestamp);
  const info = {
    messageId,
    ...s3Object(record.requestPayload),
    ...(record.requestContext?.condition ? { condition: record.requestContext.condition } : {}),
    ...(record.timestamp
      ? { failedAt: record.timestamp }
      : Number.isFinite(sentAt)
        ? { failedAt: new Date(sentAt).toISOString() }
        : {}),
  };
  const source = /:function:([^:]+)/.exec(record.requestContext?.functionArn ?? '')?.[1];
  if (source !== undefined && source !== functionName) {
    return { ...info, outcome: 'kept', detail: `a record of function ${source}, not ${functionName}` };
  }
  if (opts.dryRun) return { ...info, outcome: 'would-send' };
  try {
    await opts.pace();
    const res = await clients.lambda(region).send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify(record.requestPayload)),
      }),
    );
    if (res.StatusCode !== 202) {
      return { ...info, outcome: 'failed', detail: `Invoke answered ${res.StatusCode ?? 'no status'}, not 202` };
    }
  } catch (err) {
    return { ...info, outcome: 'failed', detail: `Invoke: ${reasonOf(err)}` };
  }
  try {
    await clients
      .sqs(queue.region)
      .send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: m.ReceiptHandle }));
    return { ...info, outcome: 'sent' };
  } catch (err) {
    return { ...info, outcome: 'sent-not-deleted', detail: `DeleteMessage: ${reasonOf(err)}` };
  }
}

/** Bucket and (decoded) key of an S3 event payload's first record, for the listing. */
function s3Object(payload: unknown): { bucket?: string; key?: string } {
  const s3 = (payload as { Records?: { s3?: { bucket?: { name?: unknown }; object?: { key?: unknown } } }[] })
    ?.Records?.[0]?.s3;
  const bucket = typeof s3?.bucket?.name === 'string' ? s3.bucket.name : undefined;
  const raw = typeof s3?.object?.key === 'string' ? s3.object.key : undefined;
  let key = raw;
  if (raw !== undefined) {
    try {
      key = decodeURIComponent(raw.replace(/\+/g, ' '));
    } catch {
      key = raw;
    }
  }
  return { ...(bucket !== undefined ? { bucket } : {}), ...(key !== undefined ? { key } : {}) };
}
