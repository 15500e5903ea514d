import { GetPolicyCommand } from '@aws-sdk/client-lambda';
import { CreateTopicCommand, ListSubscriptionsByTopicCommand, SetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AccountClients } from '../../lib/aws/accounts.js';
import { verifyMain } from '../../lib/commands/verify.js';
import type { VerifyReport } from '../../lib/verify/report.js';
import { accessKeyOf, accountsProxy, clientsIn, MEMBER_A } from '../support/accounts.js';
import type { startProxy } from '../support/aws-proxy.js';
import { MOTO_ACCOUNT, MOTO_CREDENTIALS, startMoto, type Moto } from '../support/moto.js';
import { createBucket, createLambdaStack, putLogLines, putNotifications } from '../support/verify-seed.js';

const E = 'us-east-1';
const ROLE = 'TaegisMigrateVerify';
/** A central topic in the caller's account; the member's bucket publishes to it, the member's function reads it. */
const TOPIC = `arn:aws:sns:${E}:${MOTO_ACCOUNT}:central-log-events`;
const MEMBER_BUCKET = `alb-logs-${MEMBER_A}`;
const MEMBER_FN = `arn:aws:lambda:${E}:${MEMBER_A}:function:alb-scwx-tdr-lambda-awsalb`;

describe('verify, SNS route across accounts (topic in one account, bucket and function in another), against moto', () => {
  let moto: Moto;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let dir: string;
  const keyAccount = new Map<string, string>([[MOTO_CREDENTIALS.accessKeyId, MOTO_ACCOUNT]]);

  beforeAll(async () => {
    moto = await startMoto();
    proxy = await accountsProxy(moto.endpoint, { keyAccount });
  });
  afterAll(async () => {
    await proxy.stop();
    await moto.stop();
  });

  beforeEach(async () => {
    await moto.reset();
    dir = mkdtempSync(path.join(tmpdir(), 'verify-sns-accounts-'));
    const central = await clientsIn(moto.endpoint, MOTO_ACCOUNT);
    await createBucket(central, E, 'ct-logs-central');
    await putLogLines(central, E, await createLambdaStack(central, E, 'ct', 'ct-logs-central'), [
      'Uploading data to s3 ok',
    ]);
    await central.sns(E).send(new CreateTopicCommand({ Name: 'central-log-events' }));
    await central.sns(E).send(
      new SetTopicAttributesCommand({
        TopicArn: TOPIC,
        AttributeName: 'Policy',
        AttributeValue: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 's3.amazonaws.com' },
              Action: 'SNS:Publish',
              Resource: TOPIC,
              Condition: {
                ArnLike: { 'aws:SourceArn': `arn:aws:s3:::${MEMBER_BUCKET}` },
                StringEquals: { 'aws:SourceAccount': MEMBER_A },
              },
            },
          ],
        }),
      }),
    );
    central.destroy();
    const member = await clientsIn(moto.endpoint, MEMBER_A);
    await createBucket(member, E, MEMBER_BUCKET);
    await putLogLines(member, E, await createLambdaStack(member, E, 'alb', MEMBER_BUCKET, { integration: 'awsalb' }), [
      'Uploading data to s3 ok',
    ]);
    await putNotifications(member, E, MEMBER_BUCKET, {
      TopicConfigurations: [{ Id: 'to-central', TopicArn: TOPIC, Events: ['s3:ObjectCreated:*'] }],
    });
    member.destroy();
    proxy.seen.length = 0;
  });

  it('WHEN verify runs THEN the topic is read and subscribed with its own account, the permission added with the function account, and the route passes', async () => {
    const config = path.join(dir, 'taegis.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        taegisRegion: 'ctpx',
        artifactsDir: './nowhere',
        access: { roleName: ROLE },
        regions: [
          {
            region: E,
            account: MOTO_ACCOUNT,
            lambdaStacks: [
              { stackName: 'ct', integrationType: 'awscloudtrail', notificationBucket: 'ct-logs-central' },
            ],
          },
          {
            region: E,
            account: MEMBER_A,
            lambdaStacks: [
              {
                stackName: 'alb',
                integrationType: 'awsalb',
                notificationBucket: MEMBER_BUCKET,
                snsNotificationArn: TOPIC,
              },
            ],
          },
        ],
      }),
    );
    const accounts = new AccountClients({
      command: 'verify',
      endpoint: proxy.endpoint,
      credentials: MOTO_CREDENTIALS,
      maxAttempts: 2,
    });
    const json = path.join(dir, 'report.json');
    const out: string[] = [];
    const code = await verifyMain(
      ['--config', config, '--backup-dir', path.join(dir, 'backups'), '--json', json, '--log-timeout', '0'],
      { accounts, stdout: (t) => out.push(t), stderr: (t) => out.push(t), pollIntervalMs: 100, tty: false },
    ).finally(() => accounts.destroy());
    expect(out.join('\n')).toContain('PASS');
    expect(code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as VerifyReport;
    const alb = report.regions.find((r) => r.account === MEMBER_A)!.stacks[0]!;
    expect(alb.checks.find((c) => c.name === 'sns')).toMatchObject({ status: 'pass', warnings: [] });

    // Every SNS request went with the topic owner's credentials, every request about the function with its owner's.
    const sns = proxy.seen.filter((r) => r.service === 'sns');
    expect(sns.map((r) => new URLSearchParams(r.body.toString('utf8')).get('Action'))).toEqual(
      expect.arrayContaining(['GetTopicAttributes', 'ListSubscriptionsByTopic', 'Subscribe']),
    );
    for (const r of sns) expect(keyAccount.get(accessKeyOf(r) ?? '')).toBe(MOTO_ACCOUNT);
    const fnRequests = proxy.seen.filter((r) => r.service === 'lambda' && r.url.includes('alb-scwx-tdr-lambda'));
    expect(fnRequests.some((r) => r.method === 'POST' && r.url.includes('/policy'))).toBe(true);
    for (const r of fnRequests) expect(keyAccount.get(accessKeyOf(r) ?? ''), r.url).toBe(MEMBER_A);

    // The member's function is subscribed to the central topic, and may be invoked by SNS for it.
    const central = await clientsIn(moto.endpoint, MOTO_ACCOUNT);
    const subs = await central.sns(E).send(new ListSubscriptionsByTopicCommand({ TopicArn: TOPIC }));
    expect(subs.Subscriptions?.map((s) => [s.Protocol, s.Endpoint])).toEqual([['lambda', MEMBER_FN]]);
    central.destroy();
    const member = await clientsIn(moto.endpoint, MEMBER_A);
    const policy = await member.lambda(E).send(new GetPolicyCommand({ FunctionName: MEMBER_FN }));
    expect(policy.Policy).toContain('sns.amazonaws.com');
    expect(policy.Policy).toContain(TOPIC);
    member.destroy();
  });
});
