import { GetPolicyCommand } from '@aws-sdk/client-lambda';
import type { NotificationConfiguration } from '@aws-sdk/client-s3';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../lib/aws/clients.js';
import { verifyMain } from '../../lib/commands/verify.js';
import { startProxy, throttle, type ProxyHooks } from '../support/aws-proxy.js';
import { MOTO_ACCOUNT, MOTO_CREDENTIALS, startMoto, type Moto } from '../support/moto.js';
import { functionArn, functionName, getNotifications, putNotifications, seedMixed } from '../support/verify-seed.js';

const E = 'us-east-1';

/** What moto shows for the mixed bucket after a correct run (see verify.moto.test.ts for the full story). */
function expectedEast(seeded: NotificationConfiguration): NotificationConfiguration {
  return {
    TopicConfigurations: seeded.TopicConfigurations,
    QueueConfigurations: seeded.QueueConfigurations,
    LambdaFunctionConfigurations: [
      seeded.LambdaFunctionConfigurations![0]!,
      {
        Id: 'taegis-migrate-ct-scwx-tdr-lambda-awscloudtrail',
        LambdaFunctionArn: functionArn(E, functionName('ct')),
        Events: ['s3:ObjectCreated:Put', 's3:ObjectCreated:CompleteMultipartUpload'],
        Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'AWSLogs/' }] } },
      },
      {
        Id: 'taegis-migrate-vpc-scwx-tdr-lambda-awsvpcflow',
        LambdaFunctionArn: functionArn(E, functionName('vpc', 'awsvpcflow')),
        Events: ['s3:ObjectCreated:*'],
        Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'vpcflow/' }] } },
      },
    ],
  };
}

describe('verify through a proxy in front of moto (throttling, concurrent change, failed function)', () => {
  let moto: Moto;
  let dir: string;
  let configPath: string;
  let seeded: NotificationConfiguration;
  let proxy: Awaited<ReturnType<typeof startProxy>> | undefined;

  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto.stop();
  });
  beforeEach(async () => {
    await moto.reset();
    dir = mkdtempSync(path.join(tmpdir(), 'verify-proxy-'));
    ({ configPath, seeded } = await seedMixed(moto.clients(), dir));
  });
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
  });

  async function runThrough(
    hooks: ProxyHooks,
    extra: string[] = [],
  ): Promise<{ code: number; out: string; ops: string[] }> {
    proxy = await startProxy(moto.endpoint, hooks);
    const ops: string[] = [];
    const clients = new AwsClientFactory({
      endpoint: proxy.endpoint,
      credentials: MOTO_CREDENTIALS,
      // Throttling still slows each client down and every throttled request is retried, only not to 0.5 requests/s.
      adaptiveMinRate: 20,
      onRequest: (i) => ops.push(i.operation),
    });
    const out: string[] = [];
    const code = await verifyMain(
      [
        '--config',
        configPath,
        '--backup-dir',
        path.join(dir, 'backups'),
        '--log-timeout',
        '0',
        '--concurrency',
        '4',
        ...extra,
      ],
      { clients, stdout: (t) => out.push(t), stderr: () => undefined, tty: false },
    );
    clients.destroy();
    return { code, out: out.join('\n'), ops };
  }

  it('GIVEN every third request is throttled (503 SlowDown / Throttling / 429) WHEN verify runs THEN it retries, ends with exit 0, and the result equals an unthrottled run: nothing lost, permission added once', async () => {
    let throttled = 0;
    const r = await runThrough({
      before: (req) => {
        // Bounded so the SDK's adaptive backoff keeps the test short; 9 throttles reach every service.
        if (req.n % 3 !== 0 || throttled >= 9) return undefined;
        throttled += 1;
        return throttle(req.service);
      },
    });
    expect(r.out).toContain('PASS');
    expect(r.code).toBe(0);
    expect(throttled).toBe(9);
    expect(
      new Set(proxy!.seen.filter((q) => q.n % 3 === 0 && q.n <= 27).map((q) => q.service)).size,
    ).toBeGreaterThanOrEqual(3);
    // Every throttled attempt was retried (counted as the requests they are).
    expect(r.ops.length).toBe(proxy!.seen.length);
    expect(await getNotifications(moto.clients(), E, 'logs-east')).toEqual(expectedEast(seeded));
    const policy = await moto
      .clients()
      .lambda(E)
      .send(new GetPolicyCommand({ FunctionName: functionName('ct') }));
    expect((JSON.parse(policy.Policy!) as { Statement: unknown[] }).Statement).toHaveLength(1);
    // A second run through the same throttling writes nothing.
    const again = await runThrough({
      before: (req) => (req.n % 3 === 0 && req.n <= 27 ? throttle(req.service) : undefined),
    });
    expect(again.code).toBe(0);
    expect(
      again.ops.filter((o) => o === 'PutBucketNotificationConfigurationCommand' || o === 'AddPermissionCommand'),
    ).toEqual([]);
  });

  it('GIVEN someone changes the bucket between our read and our write THEN that bucket is aborted with no put, their change stays, and the exit code is 1', async () => {
    let reads = 0;
    const intruder: NotificationConfiguration = {
      ...seeded,
      QueueConfigurations: [
        ...seeded.QueueConfigurations!,
        {
          Id: 'added-meanwhile',
          QueueArn: `arn:aws:sqs:${E}:${MOTO_ACCOUNT}:foreign-queue`,
          Events: ['s3:ObjectRemoved:*'],
        },
      ],
    };
    const r = await runThrough({
      before: async (req) => {
        if (
          req.service === 's3' &&
          req.method === 'GET' &&
          req.url.startsWith('/logs-east') &&
          req.url.includes('notification')
        ) {
          reads += 1;
          // The second read is the re-read just before the put: change the bucket first, as another tool would.
          if (reads === 2) await putNotifications(moto.clients(), E, 'logs-east', intruder);
        }
        return undefined;
      },
    });
    expect(r.code).toBe(1);
    expect(r.out).toContain('aborted, nothing written to logs-east');
    const { EventBridgeConfiguration: _eb, ...intruderAsRead } = intruder;
    expect(await getNotifications(moto.clients(), E, 'logs-east')).toEqual(intruderAsRead);
    // logs-west (other region) was still migrated; logs-east had a backup taken but no put.
    expect(r.ops.filter((o) => o === 'PutBucketNotificationConfigurationCommand')).toHaveLength(1);
    expect(readdirSync(path.join(dir, 'backups')).filter((f) => f.includes('logs-east'))).toHaveLength(1);
  });

  it('GIVEN the ct function reports State Failed (the console\'s "fix errors") THEN health fails with the reason, its stale entry is left alone, vpc is still moved, exit 1', async () => {
    const r = await runThrough({
      after: (req, status, body) => {
        if (
          req.service !== 'lambda' ||
          req.method !== 'GET' ||
          !req.url.includes(`/functions/${functionName('ct')}/configuration`) ||
          status !== 200
        )
          return undefined;
        const fc = JSON.parse(body.toString()) as Record<string, unknown>;
        return Buffer.from(
          JSON.stringify({
            ...fc,
            State: 'Failed',
            StateReasonCode: 'InvalidImage',
            StateReason: 'The image manifest or layer media type is not supported.',
          }),
        );
      },
    });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /ct +health +FAIL +State is Failed \(InvalidImage: The image manifest or layer media type is not supported.\)/,
    );
    expect(r.out).toMatch(/ct +trigger +SKIP/);
    const east = await getNotifications(moto.clients(), E, 'logs-east');
    const ids = east.LambdaFunctionConfigurations!.map((e) => e.Id);
    expect(ids).toContain('old-taegis-cloudtrail');
    expect(ids).toContain('taegis-migrate-vpc-scwx-tdr-lambda-awsvpcflow');
    expect(ids).not.toContain('vpc-latest');
  });
});
