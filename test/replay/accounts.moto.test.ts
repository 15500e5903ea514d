import { PutFunctionEventInvokeConfigCommand } from '@aws-sdk/client-lambda';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AccountClients } from '../../lib/aws/accounts.js';
import { failedEventsQueueName } from '../../lib/monitoring/failed-events.js';
import { backfillMain } from '../../lib/commands/backfill.js';
import { replayMain } from '../../lib/commands/replay.js';
import { accessKeyOf, accountsProxy, clientsIn, MEMBER_A } from '../support/accounts.js';
import type { startProxy } from '../support/aws-proxy.js';
import { MOTO_ACCOUNT, MOTO_CREDENTIALS } from '../support/moto.js';
import { useMoto } from '../support/use-moto.js';
import { createBucket, createLambdaStack, functionArn } from '../support/verify-seed.js';

const E = 'us-east-1';
/** An account whose role the proxy refuses (moto itself never denies AssumeRole). */
const DENIED = '444444444444';
const TARGETS = [
  { account: MOTO_ACCOUNT, stack: 'ct' },
  { account: MEMBER_A, stack: 'member' },
  { account: DENIED, stack: 'denied' },
] as const;
const bucketOf = (account: string): string => `logs-${account}`;

describe('GIVEN stacks in three accounts, one of which cannot be entered', () => {
  const moto = useMoto();
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let dir: string;
  let configPath: string;
  const keyAccount = new Map<string, string>();

  beforeAll(async () => {
    proxy = await accountsProxy(moto().endpoint, { denied: DENIED, keyAccount });
  });
  afterAll(async () => {
    await proxy.stop();
  });

  beforeEach(async () => {
    await moto().reset();
    dir = mkdtempSync(path.join(tmpdir(), 'replay-accounts-'));
    // The denied account's stack is never reached: only the reachable ones are seeded.
    for (const t of TARGETS.filter((x) => x.account !== DENIED)) {
      const c = await clientsIn(moto().endpoint, t.account);
      await createBucket(c, E, bucketOf(t.account));
      const fn = await createLambdaStack(c, E, t.stack, bucketOf(t.account), { migrated: true });
      await c.s3(E).send(new PutObjectCommand({ Bucket: bucketOf(t.account), Key: `${t.stack}.gz`, Body: 'x' }));
      const queue = failedEventsQueueName(t.stack);
      const url = (await c.sqs(E).send(new CreateQueueCommand({ QueueName: queue }))).QueueUrl!;
      await c.lambda(E).send(
        new PutFunctionEventInvokeConfigCommand({
          FunctionName: fn,
          DestinationConfig: { OnFailure: { Destination: `arn:aws:sqs:${E}:${t.account}:${queue}` } },
        }),
      );
      await c.sqs(E).send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: JSON.stringify({
            version: '1.0',
            requestContext: {
              functionArn: functionArn(E, fn).replace(MOTO_ACCOUNT, t.account),
              condition: 'RetriesExhausted',
            },
            requestPayload: { from: t.account },
            responseContext: { statusCode: 200 },
          }),
        }),
      );
      c.destroy();
    }
    configPath = path.join(dir, 'taegis.config.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        taegisRegion: 'ctpx',
        artifactsDir: './nowhere',
        access: { roleName: 'TaegisMigrateVerify' },
        failedEvents: { keep: true },
        regions: TARGETS.map((t) => ({
          region: E,
          account: t.account,
          lambdaStacks: [
            { stackName: t.stack, integrationType: 'awscloudtrail', notificationBucket: bucketOf(t.account) },
          ],
        })),
      }),
    );
    proxy.seen.length = 0;
  });

  async function run(main: typeof replayMain, args: string[]) {
    const accounts = new AccountClients({
      command: 'replay',
      endpoint: proxy.endpoint,
      credentials: MOTO_CREDENTIALS,
      maxAttempts: 1,
    });
    const json = path.join(dir, `report-${Math.random()}.json`);
    try {
      const code = await main(['--config', configPath, '--json', json, '--rate', '100', ...args], {
        accounts,
        stdout: () => {},
        stderr: () => {},
        waitTimeSeconds: 0,
      });
      return {
        code,
        report: JSON.parse(readFileSync(json, 'utf8')) as {
          stacks: { stackName: string; status: string; detail: string }[];
        },
      };
    } finally {
      accounts.destroy();
    }
  }

  /** The account each function invocation was signed for, by the access key's account. */
  const invokedAs = (): string[] =>
    proxy.seen
      .filter((r) => r.service === 'lambda' && r.url.includes('/invocations'))
      .map(
        (r) =>
          `${keyAccount.get(accessKeyOf(r) ?? '') ?? '?'}:${decodeURIComponent(/functions\/([^/]+)\//.exec(r.url)![1]!)}`,
      )
      .sort();

  it('WHEN replay runs THEN each reachable account is replayed with its own credentials, the denied one is reported failed', async () => {
    const r = await run(replayMain, []);
    expect(r.code).toBe(1);
    const by = new Map(r.report.stacks.map((s) => [s.stackName, s]));
    expect(by.get('ct')?.status).toBe('ok');
    expect(by.get('member')?.status).toBe('ok');
    expect(by.get('denied')).toMatchObject({ status: 'failed' });
    expect(by.get('denied')!.detail).toContain(`account ${DENIED}`);
    expect(invokedAs()).toEqual([
      `${MOTO_ACCOUNT}:ct-scwx-tdr-lambda-awscloudtrail`,
      `${MEMBER_A}:member-scwx-tdr-lambda-awscloudtrail`,
    ]);
  });

  it('WHEN backfill runs THEN each reachable bucket is sent with its own credentials, the denied one is reported failed', async () => {
    const r = await run(backfillMain, [
      '--stack',
      'ct,member,denied',
      '--since',
      '1h',
      '--checkpoint',
      path.join(dir, 'cp.jsonl'),
    ]);
    expect(r.code).toBe(1);
    expect(r.report.stacks.map((s) => [s.stackName, s.status])).toEqual([
      ['ct', 'ok'],
      ['member', 'ok'],
      ['denied', 'failed'],
    ]);
    expect(invokedAs()).toEqual([
      `${MOTO_ACCOUNT}:ct-scwx-tdr-lambda-awscloudtrail`,
      `${MEMBER_A}:member-scwx-tdr-lambda-awscloudtrail`,
    ]);
  });
});
