import { GetFunctionEventInvokeConfigCommand } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import type { AwsClientFactory } from '../../aws/clients.js';
import { awsErrorName, reasonOf } from '../../aws/errors.js';
import type { CheckResult } from '../report.js';

/** A function's on-failure destination when it is an SQS queue. */
export interface FailedEventsQueue {
  readonly arn: string;
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly url: string;
}

/** What a function's EventInvokeConfig names as its on-failure destination. */
export type OnFailureDestination =
  | { readonly kind: 'queue'; readonly queue: FailedEventsQueue }
  | { readonly kind: 'none' }
  /** An SNS topic, a Lambda function, an EventBridge bus or an S3 bucket: nothing replay can read. */
  | { readonly kind: 'other'; readonly destination: string };

const SQS_ARN = /^arn:[\w-]+:sqs:([a-z0-9-]+):(\d{12}):([\w-]{1,80}(?:\.fifo)?)$/;

/**
 * The function's own on-failure destination (GetFunctionEventInvokeConfig of its unqualified name, which is
 * `$LATEST`), and for a queue its URL. Read from the function, not from the config, so a destination made by hand
 * works as well as ours. No config at all is an expected state, not an error.
 */
export async function onFailureDestination(
  clients: AwsClientFactory,
  region: string,
  functionName: string,
): Promise<OnFailureDestination> {
  let destination: string | undefined;
  try {
    const cfg = await clients
      .lambda(region)
      .send(new GetFunctionEventInvokeConfigCommand({ FunctionName: functionName }));
    destination = cfg.DestinationConfig?.OnFailure?.Destination;
  } catch (err) {
    if (awsErrorName(err) === 'ResourceNotFoundException') return { kind: 'none' };
    throw err;
  }
  if (!destination) return { kind: 'none' };
  const m = SQS_ARN.exec(destination);
  if (!m) return { kind: 'other', destination };
  const [, queueRegion, account, name] = m as unknown as [string, string, string, string];
  const url = await clients
    .sqs(queueRegion)
    .send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }));
  return { kind: 'queue', queue: { arn: destination, name, account, region: queueRegion, url: url.QueueUrl ?? '' } };
}

/** Messages in the queue: visible ones plus those a reader holds right now (they come back unless deleted). */
export async function waitingCount(clients: AwsClientFactory, queue: FailedEventsQueue): Promise<number> {
  const res = await clients.sqs(queue.region).send(
    new GetQueueAttributesCommand({
      QueueUrl: queue.url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  const a = res.Attributes ?? {};
  return Number(a.ApproximateNumberOfMessages ?? 0) + Number(a.ApproximateNumberOfMessagesNotVisible ?? 0);
}

/**
 * The `failed-events` check of a stack whose config keeps failed events: the function's on-failure destination is
 * present and is the stack's queue, and no failed event waits in it. Waiting events fail the gate: they are log
 * objects Taegis never got, to be sent again with `replay` once their cause is fixed.
 */
export async function failedEventsCheck(
  clients: AwsClientFactory,
  t: { readonly region: string; readonly stackName: string; readonly functionName?: string },
  expectedQueueName: string,
  now: () => Date,
): Promise<CheckResult> {
  const start = now();
  const result = (status: CheckResult['status'], detail: string, warnings: readonly string[] = []): CheckResult => ({
    name: 'failed-events',
    status,
    detail,
    warnings,
    startedAt: start.toISOString(),
    durationMs: Math.max(0, now().getTime() - start.getTime()),
  });
  if (!t.functionName) return result('skip', 'not run: the function is not known');
  try {
    const d = await onFailureDestination(clients, t.region, t.functionName);
    if (d.kind === 'none') {
      return result(
        'fail',
        `${t.functionName} has no on-failure destination: failed events are dropped; deploy the stack (taegis-migrate deploy) to add queue ${expectedQueueName}`,
      );
    }
    if (d.kind === 'other') {
      return result(
        'fail',
        `${t.functionName} sends failed events to ${d.destination}, not to an SQS queue replay can read; deploy the stack (taegis-migrate deploy) to point it at ${expectedQueueName}`,
      );
    }
    const warnings =
      d.queue.name === expectedQueueName
        ? []
        : [`the destination is ${d.queue.name}, not the stack's ${expectedQueueName} (made by hand?); counted there`];
    const n = await waitingCount(clients, d.queue);
    if (n > 0) {
      return result(
        'fail',
        `${n} failed event${n === 1 ? '' : 's'} waiting in ${d.queue.name}: log objects Taegis did not get; fix the cause, then run: taegis-migrate replay --stack ${t.stackName}`,
        warnings,
      );
    }
    return result('pass', `on-failure destination ${d.queue.name}, no failed event waiting`, warnings);
  } catch (err) {
    return result('fail', `reading the on-failure destination of ${t.functionName}: ${reasonOf(err)}`);
  }
}
