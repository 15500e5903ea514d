import { PutFunctionEventInvokeConfigCommand } from '@aws-sdk/client-lambda';
import { PutObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AccountClients } from '../../lib/aws/accounts.js';
import type { AwsClientFactory } from '../../lib/aws/clients.js';
import { failedEventsQueueName } from '../../lib/monitoring/failed-events.js';
import { backfillMain } from '../../lib/commands/backfill.js';
import { replayMain } from '../../lib/commands/replay.js';
import { verifyMain } from '../../lib/commands/verify.js';
import type { VerifyReport } from '../../lib/verify/report.js';
import { startProxy, type SeenRequest } from '../support/aws-proxy.js';
import { MOTO_ACCOUNT, MOTO_CREDENTIALS } from '../support/moto.js';
import { useMoto } from '../support/use-moto.js';
import { createBucket, createLambdaStack, functionArn } from '../support/verify-seed.js';

const E = 'us-east-1';
const BUCKET = 'logs-east';
const QUEUE = failedEventsQueueName('ct');

/** An S3 event as S3 sends it, for one key: the payload a failed invocation carried. */
const s3Payload = (key: string) => ({
  Records: [
    {
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      awsRegion: E,
      eventName: 'ObjectCreated:Put',
      eventTime: '2026-11-20T10:00:00.000Z',
      s3: { bucket: { name: BUCKET, arn: `arn:aws:s3:::${BUCKET}` }, object: { key, size: 12, eTag: 'abc' } },
    },
  ],
});

/** A record as Lambda's on-failure destination writes it (version 1.0). */
const destinationRecord = (fn: string, payload: unknown, condition = 'RetriesExhausted') => ({
  version: '1.0',
  timestamp: '2026-11-20T10:05:00.000Z',
  requestContext: {
    requestId: 'c7a0b3f4-0000-4000-8000-000000000000',
    functionArn: `${functionArn(E, fn)}:$LATEST`,
    condition,
    approximateInvokeCount: 3,
  },
  requestPayload: payload,
  responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
  responsePayload: { errorMessage: 'AccessDenied: kms:Decrypt', errorType: 'Error' },
});

/** The asynchronous invocations the proxy saw: function name and the payload, parsed. */
function invocations(seen: readonly SeenRequest[]): { fn: string; type: string; payload: unknown }[] {
  return seen
    .filter((r) => r.service === 'lambda' && /\/functions\/[^/]+\/invocations/.test(r.url))
    .map((r) => ({
      fn: decodeURIComponent(/\/functions\/([^/]+)\/invocations/.exec(r.url)![1]!),
      type: String(r.headers['x-amz-invocation-type'] ?? ''),
      payload: JSON.parse(r.body.toString('utf8')) as unknown,
    }));
}

describe('replay and backfill against moto', () => {
  const moto = useMoto();
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  /** Invocations of these keys are refused by the proxy (a throttled function). */
  const refuse = new Set<string>();
  let dir: string;
  let configPath: string;
  let fn: string;
  let seed: AwsClientFactory;
  let queueUrl: string;

  beforeAll(async () => {
    proxy = await startProxy(moto().endpoint, {
      before: (req) => {
        if (req.service !== 'lambda' || !req.url.includes('/invocations')) return undefined;
        const body = req.body.toString('utf8');
        return [...refuse].some((k) => body.includes(k))
          ? {
              status: 429,
              headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'TooManyRequestsException' },
              body: JSON.stringify({ __type: 'TooManyRequestsException', message: 'Rate exceeded' }),
            }
          : undefined;
      },
    });
  });
  afterAll(async () => {
    await proxy.stop();
  });

  beforeEach(async () => {
    await moto().reset();
    refuse.clear();
    proxy.seen.length = 0;
    seed = moto().clients();
    dir = mkdtempSync(path.join(tmpdir(), 'replay-moto-'));
    await createBucket(seed, E, BUCKET);
    fn = await createLambdaStack(seed, E, 'ct', BUCKET, { migrated: true });
    // The destination as the Lambda stack deploys it (moto's CloudFormation has no EventInvokeConfig): by the SDK.
    queueUrl = (await seed.sqs(E).send(new CreateQueueCommand({ QueueName: QUEUE }))).QueueUrl!;
    await seed.lambda(E).send(
      new PutFunctionEventInvokeConfigCommand({
        FunctionName: fn,
        DestinationConfig: { OnFailure: { Destination: `arn:aws:sqs:${E}:${MOTO_ACCOUNT}:${QUEUE}` } },
      }),
    );
    configPath = path.join(dir, 'taegis.config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        taegisRegion: 'ctpx',
        artifactsDir: './nowhere',
        failedEvents: { keep: true },
        regions: [
          {
            region: E,
            account: MOTO_ACCOUNT,
            lambdaStacks: [{ stackName: 'ct', integrationType: 'awscloudtrail', notificationBucket: BUCKET }],
          },
        ],
      }),
    );
  });

  async function run(
    main: typeof replayMain,
    args: string[],
  ): Promise<{ code: number; out: string; err: string; report: Record<string, unknown> }> {
    const accounts = new AccountClients({
      command: 'replay',
      endpoint: proxy.endpoint,
      credentials: MOTO_CREDENTIALS,
      maxAttempts: 1,
    });
    const out: string[] = [];
    const err: string[] = [];
    const json = path.join(dir, `report-${Math.random()}.json`);
    try {
      const code = await main(['--config', configPath, '--json', json, '--rate', '100', ...args], {
        accounts,
        stdout: (t) => out.push(t),
        stderr: (t) => err.push(t),
        waitTimeSeconds: 0,
      });
      let report: Record<string, unknown> = {};
      try {
        report = JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown>;
      } catch {
        // bad input writes no report
      }
      return { code, out: out.join('\n'), err: err.join('\n'), report };
    } finally {
      accounts.destroy();
    }
  }

  const waiting = async (): Promise<number> => {
    const a = await seed.sqs(E).send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(a.Attributes?.ApproximateNumberOfMessages) + Number(a.Attributes?.ApproximateNumberOfMessagesNotVisible)
    );
  };

  async function queueRecords(payloads: readonly unknown[], other?: unknown): Promise<void> {
    for (const p of payloads) {
      await seed
        .sqs(E)
        .send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(destinationRecord(fn, p)) }));
    }
    if (other !== undefined) {
      await seed.sqs(E).send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify(destinationRecord('someone-else', other)),
        }),
      );
    }
  }

  it("GIVEN failed-event records WHEN replay runs THEN the function is invoked asynchronously with exactly their payloads, each accepted one is deleted, a refused one and another function's record stay", async () => {
    const payloads = [
      s3Payload('AWSLogs/1/CloudTrail/a+b%3Dc.json.gz'),
      s3Payload('AWSLogs/1/CloudTrail/second.json.gz'),
      s3Payload('AWSLogs/1/CloudTrail/refused.json.gz'),
      { note: 'not an S3 event: sent as it is', nested: { n: 1.5, list: [1, 'two', null] } },
    ];
    await queueRecords(payloads, s3Payload('other/fn.json.gz'));

    const dry = await run(replayMain, ['--dry-run']);
    expect(dry.code).toBe(0);
    expect(invocations(proxy.seen)).toEqual([]);
    expect(await waiting()).toBe(5);
    expect(dry.out).toContain(
      `would-send       ${BUCKET}/AWSLogs/1/CloudTrail/a b=c.json.gz (RetriesExhausted, first failed 2026-11-20T10:05:00.000Z)`,
    );
    expect(dry.out).toMatch(/DRY RUN: 4 events would be sent/);

    refuse.add('refused.json.gz');
    const first = await run(replayMain, []);
    expect(first.code).toBe(1);
    const sent = invocations(proxy.seen);
    expect(sent.every((s) => s.fn === fn && s.type === 'Event')).toBe(true);
    // Every record of this function was tried once, with its payload exactly; the refused one was not accepted.
    expect(sent.map((s) => s.payload)).toEqual(expect.arrayContaining(payloads));
    expect(sent).toHaveLength(4);
    const summary = first.report.summary as Record<string, number>;
    expect(summary).toMatchObject({ sent: 3, failed: 1, kept: 1 });
    // The refused record and the other function's record are what is left.
    const left = await seed
      .sqs(E)
      .send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
    const leftPayloads = (left.Messages ?? []).map(
      (m) => (JSON.parse(m.Body!) as { requestPayload: unknown }).requestPayload,
    );
    expect(leftPayloads).toEqual(expect.arrayContaining([payloads[2], s3Payload('other/fn.json.gz')]));
    expect(leftPayloads).toHaveLength(2);

    // The cause fixed: the next run sends the refused one and deletes it.
    refuse.clear();
    proxy.seen.length = 0;
    const second = await run(replayMain, []);
    expect(second.code).toBe(0);
    expect(invocations(proxy.seen).map((s) => s.payload)).toEqual([payloads[2]]);
    expect(await waiting()).toBe(1);
  });

  it('GIVEN --max 2 WHEN replay runs THEN at most two records are sent', async () => {
    await queueRecords([s3Payload('k1'), s3Payload('k2'), s3Payload('k3')]);
    const r = await run(replayMain, ['--max', '2']);
    expect(r.code).toBe(0);
    expect(invocations(proxy.seen)).toHaveLength(2);
    expect(await waiting()).toBe(1);
  });

  it('GIVEN events waiting WHEN verify runs THEN its failed-events check fails with the count and the fix; after replay it passes', async () => {
    await queueRecords([s3Payload('k1'), s3Payload('k2')]);
    let table = '';
    let junit = '';
    const verify = async (): Promise<VerifyReport> => {
      const json = path.join(dir, `verify-${Math.random()}.json`);
      const xml = path.join(dir, `verify-${Math.random()}.xml`);
      const out: string[] = [];
      await verifyMain(['--config', configPath, '--dry-run', '--log-timeout', '0', '--json', json, '--junit', xml], {
        clients: moto().clients(),
        stdout: (t) => out.push(t),
        stderr: () => {},
        tty: false,
      });
      table = out.join('\n');
      junit = readFileSync(xml, 'utf8');
      return JSON.parse(readFileSync(json, 'utf8')) as VerifyReport;
    };
    const check = (r: VerifyReport) => r.regions[0]!.stacks[0]!.checks.find((c) => c.name === 'failed-events');
    const before = await verify();
    expect(check(before)).toMatchObject({ status: 'fail' });
    expect(check(before)!.detail).toContain(`2 failed events waiting in ${QUEUE}`);
    expect(check(before)!.detail).toContain('taegis-migrate replay --stack ct');
    expect(before.exitCode).toBe(1);
    expect(table).toMatch(/ct\s+failed-events\s+FAIL\s+2 failed events waiting/);
    expect(junit).toMatch(
      /<testcase classname="us-east-1\.ct" name="failed-events"[^>]*>\s*<failure message="2 failed events waiting/,
    );

    expect((await run(replayMain, [])).code).toBe(0);
    const after = await verify();
    expect(check(after)).toMatchObject({
      status: 'pass',
      detail: `on-failure destination ${QUEUE}, no failed event waiting`,
    });
  });

  it('GIVEN objects before, inside and after a window WHEN backfill runs THEN exactly the objects inside are sent, keys encoded as S3 encodes them; the second run sends nothing, --force sends again', async () => {
    const s3 = seed.s3(E);
    const put = (Key: string, Body: string) => s3.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body }));
    const pause = () => new Promise((r) => setTimeout(r, 1100));
    await put('AWSLogs/before.json.gz', 'before');
    await pause();
    await put('AWSLogs/dt=2026-11-20/with space.json.gz', 'inside one');
    await put('AWSLogs/plain.json.gz', 'inside two!');
    await put('other/elsewhere.gz', 'inside, other prefix');
    await pause();
    await put('AWSLogs/after.json.gz', 'after');
    const listed = (await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).Contents ?? [];
    const at = (k: string) => listed.find((o) => o.Key === k)!;
    const since = at('AWSLogs/plain.json.gz').LastModified!;
    const until = at('AWSLogs/after.json.gz').LastModified!;
    expect(at('AWSLogs/before.json.gz').LastModified!.getTime()).toBeLessThan(since.getTime());
    const window = [
      '--stack',
      'ct',
      '--since',
      since.toISOString(),
      '--until',
      until.toISOString(),
      '--prefix',
      'AWSLogs/',
    ];
    const checkpoint = path.join(dir, 'cp', 'checkpoint.jsonl');

    const dry = await run(backfillMain, [...window, '--checkpoint', checkpoint, '--dry-run']);
    expect(dry.code).toBe(0);
    expect(invocations(proxy.seen)).toEqual([]);
    expect(dry.out).toContain('would send AWSLogs/dt=2026-11-20/with space.json.gz');
    expect(dry.out).toContain('DRY RUN: 2 objects would be sent');

    const first = await run(backfillMain, [...window, '--checkpoint', checkpoint]);
    expect(first.code).toBe(0);
    const sent = invocations(proxy.seen);
    expect(sent.every((s) => s.fn === fn && s.type === 'Event')).toBe(true);
    const records = sent.map((s) => (s.payload as { Records: Record<string, unknown>[] }).Records);
    expect(records.every((r) => r.length === 1)).toBe(true);
    const byKey = new Map(records.map((r) => [(r[0]!.s3 as { object: { key: string } }).object.key, r[0]!]));
    expect([...byKey.keys()].sort()).toEqual(['AWSLogs/dt%3D2026-11-20/with+space.json.gz', 'AWSLogs/plain.json.gz']);
    const spaced = at('AWSLogs/dt=2026-11-20/with space.json.gz');
    expect(byKey.get('AWSLogs/dt%3D2026-11-20/with+space.json.gz')).toMatchObject({
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      awsRegion: E,
      eventTime: spaced.LastModified!.toISOString(),
      s3: {
        bucket: { name: BUCKET, arn: `arn:aws:s3:::${BUCKET}` },
        object: {
          key: 'AWSLogs/dt%3D2026-11-20/with+space.json.gz',
          size: 'inside one'.length,
          eTag: spaced.ETag!.replace(/"/g, ''),
        },
      },
    });
    expect((first.report.summary as Record<string, number>).sent).toBe(2);
    expect(readFileSync(checkpoint, 'utf8').trim().split('\n')).toHaveLength(2);

    proxy.seen.length = 0;
    const again = await run(backfillMain, [...window, '--checkpoint', checkpoint]);
    expect(again.code).toBe(0);
    expect(invocations(proxy.seen)).toEqual([]);
    expect(again.report.summary).toMatchObject({ sent: 0, alreadySent: 2, inWindow: 2 });

    const forced = await run(backfillMain, [...window, '--checkpoint', checkpoint, '--force']);
    expect(forced.code).toBe(0);
    expect(invocations(proxy.seen)).toHaveLength(2);
  });

  it('GIVEN a refused invocation WHEN backfill runs THEN it is reported, kept out of the checkpoint, and sent by the next run', async () => {
    const s3 = seed.s3(E);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'a.gz', Body: 'a' }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'refused.gz', Body: 'b' }));
    const checkpoint = path.join(dir, 'checkpoint.jsonl');
    const args = ['--stack', 'ct', '--since', '1h', '--checkpoint', checkpoint];
    refuse.add('refused.gz');
    const first = await run(backfillMain, args);
    expect(first.code).toBe(1);
    expect(first.out).toContain('failed     refused.gz: Invoke: TooManyRequestsException');
    refuse.clear();
    proxy.seen.length = 0;
    const second = await run(backfillMain, args);
    expect(second.code).toBe(0);
    expect(invocations(proxy.seen).map((s) => JSON.stringify(s.payload))).toEqual([
      expect.stringContaining('"key":"refused.gz"'),
    ]);
  });

  it.each([
    [['--stack', 'ct', '--since', '1h', '--until', '2h'], '--since'],
    [['--stack', 'nope', '--since', '1h'], 'stack nope is not in the selected regions'],
    [['--stack', 'ct', '--since', '2999-01-01T00:00:00Z'], 'is in the future'],
    [['--stack', 'ct', '--since', '1h', '--until', '2999-01-01T00:00:00Z'], 'is in the future'],
    [['--stack', 'ct', '--since', '1h', '--rate', 'fast'], '--rate'],
    [['--since', '1h'], '--stack'],
  ])('GIVEN backfill %j WHEN run THEN exit 2 and no AWS call', async (args, message) => {
    const err = await run(backfillMain, args).catch((e: unknown) => e);
    expect((err as { exitCode?: number }).exitCode).toBe(2);
    expect(String((err as { format?: () => string }).format?.())).toContain(message);
    expect(proxy.seen).toEqual([]);
  });

  it.each([
    [['--max', '0'], '--max'],
    [['--rate', '0'], '--rate'],
    [['--stack', 'nope'], 'stack nope is not in the selected regions'],
  ])('GIVEN replay %j WHEN run THEN exit 2 and no AWS call', async (args, message) => {
    const err = await run(replayMain, args).catch((e: unknown) => e);
    expect((err as { exitCode?: number }).exitCode).toBe(2);
    expect(String((err as { format?: () => string }).format?.())).toContain(message);
    expect(proxy.seen).toEqual([]);
  });
});
