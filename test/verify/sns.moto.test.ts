import { CreateStackCommand, waitUntilStackCreateComplete } from '@aws-sdk/client-cloudformation';
import { GetPolicyCommand } from '@aws-sdk/client-lambda';
import { PutObjectCommand, type NotificationConfiguration } from '@aws-sdk/client-s3';
import {
  CreateTopicCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  SetTopicAttributesCommand,
} from '@aws-sdk/client-sns';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { reportError } from '../../lib/util/errors.js';
import { verifyMain } from '../../lib/commands/verify.js';
import type { VerifyReport } from '../../lib/verify/report.js';
import { EXAMPLE_DIR } from '../support/example.js';
import { MOTO_ACCOUNT, startMoto, type Moto } from '../support/moto.js';
import {
  createBucket,
  createForeignStack,
  createLambdaStack,
  functionArn,
  getNotifications,
  putLogLines,
  putNotifications,
} from '../support/verify-seed.js';

const E = 'us-east-1';
const BUCKET = 'alb-logs';
const TOPIC = `arn:aws:sns:${E}:${MOTO_ACCOUNT}:alb-log-events`;
const FN = 'alb-scwx-tdr-lambda-awsalb';
const FN_ARN = functionArn(E, FN);
/** Every request that changes something verify may touch. */
const WRITES = new Set([
  'PutBucketNotificationConfigurationCommand',
  'AddPermissionCommand',
  'RemovePermissionCommand',
  'SubscribeCommand',
  'UnsubscribeCommand',
  'SetTopicAttributesCommand',
]);

/** What the bucket owner set up for the topic (AWS's documented shape): S3 may publish for this bucket only. */
const BUCKET_MAY_PUBLISH = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'bucket-publishes',
      Effect: 'Allow',
      Principal: { Service: 's3.amazonaws.com' },
      Action: 'SNS:Publish',
      Resource: TOPIC,
      Condition: {
        ArnLike: { 'aws:SourceArn': `arn:aws:s3:::${BUCKET}` },
        StringEquals: { 'aws:SourceAccount': MOTO_ACCOUNT },
      },
    },
  ],
});

describe('verify, a bucket that notifies an SNS topic (snsNotificationArn), against moto', () => {
  let moto: Moto;
  let dir: string;
  let seeded: NotificationConfiguration;

  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto.stop();
  });

  /**
   * GIVEN bucket alb-logs notifies topic alb-log-events (ObjectCreated under AWSLogs/), a foreign queue (removals) and,
   * directly, the stack's OLD function (gone); the topic has no subscription of the new function, which has no policy.
   * On AWS the direct entry and the topic entry could not both exist (S3 refuses overlaps); moto accepts them, and the
   * stale direct entry is what a half-done console migration leaves.
   */
  beforeEach(async () => {
    await moto.reset();
    dir = mkdtempSync(path.join(tmpdir(), 'verify-sns-'));
    const c = moto.clients();
    await createBucket(c, E, BUCKET);
    const foreign = await createForeignStack(c, E);
    await c.sns(E).send(new CreateTopicCommand({ Name: 'alb-log-events' }));
    await setTopicPolicy(BUCKET_MAY_PUBLISH);
    await createLambdaStack(c, E, 'alb', BUCKET, { integration: 'awsalb' });
    seeded = {
      TopicConfigurations: [
        {
          Id: 'alb-to-topic',
          TopicArn: TOPIC,
          Events: ['s3:ObjectCreated:*'],
          Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'AWSLogs/' }] } },
        },
      ],
      QueueConfigurations: [{ Id: 'siem-queue', QueueArn: foreign.queueArn, Events: ['s3:ObjectRemoved:*'] }],
      LambdaFunctionConfigurations: [
        {
          Id: 'old-taegis-alb',
          LambdaFunctionArn: functionArn(E, 'alb-scwx-tdr-lambda-old'),
          Events: ['s3:ObjectCreated:Put'],
          Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'AWSLogs/' }] } },
        },
      ],
    };
    await putNotifications(c, E, BUCKET, seeded);
    await putLogLines(c, E, FN, ['Uploading data to s3 ok']);
    writeConfig();
  });

  function writeConfig(stack: Record<string, unknown> = {}): void {
    writeFileSync(
      path.join(dir, 'taegis.config.json'),
      JSON.stringify({
        taegisRegion: 'ctpx',
        artifactsDir: './nowhere',
        regions: [
          {
            region: E,
            account: MOTO_ACCOUNT,
            lambdaStacks: [
              {
                stackName: 'alb',
                integrationType: 'awsalb',
                notificationBucket: BUCKET,
                snsNotificationArn: TOPIC,
                ...stack,
              },
            ],
          },
        ],
      }),
    );
  }

  async function setTopicPolicy(policy: string): Promise<void> {
    await moto
      .clients()
      .sns(E)
      .send(new SetTopicAttributesCommand({ TopicArn: TOPIC, AttributeName: 'Policy', AttributeValue: policy }));
  }

  async function topicPolicy(): Promise<string | undefined> {
    return (
      await moto
        .clients()
        .sns(E)
        .send(new GetTopicAttributesCommand({ TopicArn: TOPIC }))
    ).Attributes?.Policy;
  }

  async function lambdaSubscriptions(): Promise<{ Endpoint?: string; SubscriptionArn?: string }[]> {
    const res = await moto
      .clients()
      .sns(E)
      .send(new ListSubscriptionsByTopicCommand({ TopicArn: TOPIC }));
    return (res.Subscriptions ?? []).filter((s) => s.Protocol === 'lambda');
  }

  async function invokeStatements(): Promise<{ Principal: { Service?: string }; Condition?: unknown }[]> {
    try {
      const p = await moto
        .clients()
        .lambda(E)
        .send(new GetPolicyCommand({ FunctionName: FN }));
      return (JSON.parse(p.Policy ?? '{}') as { Statement: { Principal: { Service?: string } }[] }).Statement;
    } catch (err) {
      if ((err as Error).name === 'ResourceNotFoundException') return [];
      throw err;
    }
  }

  const files = (): string[] => {
    try {
      return readdirSync(path.join(dir, 'backups')).sort();
    } catch {
      return [];
    }
  };

  async function run(args: string[] = []) {
    const ops: string[] = [];
    const out: string[] = [];
    const json = path.join(dir, `report-${Math.random()}.json`);
    const junit = path.join(dir, `junit-${Math.random()}.xml`);
    const code = await verifyMain(
      [
        '--config',
        path.join(dir, 'taegis.config.json'),
        '--backup-dir',
        path.join(dir, 'backups'),
        '--json',
        json,
        '--junit',
        junit,
        '--log-timeout',
        '0',
        ...args,
      ],
      {
        clients: moto.clients({ onRequest: (i) => ops.push(i.operation) }),
        stdout: (t) => out.push(t),
        stderr: () => {},
        pollIntervalMs: 200,
        tty: false,
      },
    );
    const report = JSON.parse(readFileSync(json, 'utf8')) as VerifyReport;
    const checks = report.regions[0]!.stacks[0]!.checks;
    return { code, out: out.join('\n'), ops, report, checks, junit: readFileSync(junit, 'utf8') };
  }

  it('GIVEN the subscription and the SNS permission are missing WHEN verify runs THEN the one delivery path is topic -> function, the stale direct trigger is gone, nothing foreign changed, and a second run writes nothing', async () => {
    const policyBefore = await topicPolicy();
    const first = await run();
    expect(first.code).toBe(0);
    expect(first.checks.map((c) => [c.name, c.status])).toEqual([
      ['stack', 'pass'],
      ['runtime', expect.stringMatching(/^(pass|warn)$/)],
      ['health', 'pass'],
      ['trigger', 'pass'],
      ['sns', 'pass'],
      ['logs', 'pass'],
    ]);
    const sns = first.checks.find((c) => c.name === 'sns')!;
    expect(sns.detail).toMatch(/^added the SNS invoke permission .*; subscribed .*; read back ok; record /);
    expect(sns.warnings).toEqual([]);
    expect(first.checks.find((c) => c.name === 'trigger')!.detail).toContain(
      `no direct trigger: the bucket reaches ${FN} through topic ${TOPIC}`,
    );

    // One path: no direct entry to any Taegis function, exactly one lambda subscription, the function's.
    const after = await getNotifications(moto.clients(), E, BUCKET);
    expect(after.LambdaFunctionConfigurations ?? []).toEqual([]);
    expect((await lambdaSubscriptions()).map((s) => s.Endpoint)).toEqual([FN_ARN]);
    // Foreign entries and the topic's policy exactly as they were.
    expect(after.TopicConfigurations).toEqual(seeded.TopicConfigurations);
    expect(after.QueueConfigurations).toEqual(seeded.QueueConfigurations);
    expect(await topicPolicy()).toBe(policyBefore);
    // SNS may invoke the function for this topic; S3 was given nothing (it does not invoke the function).
    const statements = await invokeStatements();
    expect(statements.map((s) => s.Principal.Service)).toEqual(['sns.amazonaws.com']);
    expect(JSON.stringify(statements[0]!.Condition)).toContain(TOPIC);

    // The bucket backup and the SNS record, with what undoes the additions.
    const written = files();
    expect(written).toHaveLength(2);
    const recordName = written.find((f) => f.includes('_alb_sns_'))!;
    const rec = JSON.parse(readFileSync(path.join(dir, 'backups', recordName), 'utf8')) as {
      kind: string;
      added: { subscription: { subscriptionArn: string }; permission: { statementId: string } };
      undo: string[];
    };
    const [sub] = await lambdaSubscriptions();
    expect(rec.kind).toBe('taegis-migrate/sns-route-record');
    expect(rec.added.subscription.subscriptionArn).toBe(sub!.SubscriptionArn);
    expect(rec.undo).toEqual([
      `aws sns unsubscribe --region ${E} --subscription-arn ${sub!.SubscriptionArn}`,
      `aws lambda remove-permission --region ${E} --function-name ${FN_ARN} --statement-id ${rec.added.permission.statementId}`,
    ]);
    // Its own row in the table and its own JUnit case.
    expect(first.out).toMatch(/alb +sns +PASS/);
    expect(first.junit).toContain('classname="us-east-1.alb" name="sns"');

    const second = await run();
    expect(second.code).toBe(0);
    expect(second.ops.filter((o) => WRITES.has(o))).toEqual([]);
    expect(second.checks.find((c) => c.name === 'sns')!.detail).toContain('nothing to change');
    expect(files()).toEqual(written);
    expect(await getNotifications(moto.clients(), E, BUCKET)).toEqual(after);
    expect(await lambdaSubscriptions()).toHaveLength(1);
  });

  it('GIVEN a run that added the subscription and permission WHEN its SNS record is restored THEN both are taken out, nothing else changes, and the next run adds them again', async () => {
    await run();
    const bucketAfter = await getNotifications(moto.clients(), E, BUCKET);
    const policyBefore = await topicPolicy();
    const record = files().find((f) => f.includes('_alb_sns_'))!;
    const out: string[] = [];
    const code = await verifyMain(['restore', '--backup', path.join(dir, 'backups', record)], {
      clients: moto.clients(),
      stdout: (t) => out.push(t),
    });
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(/^unsubscribed .* from .*\nremoved statement taegis-sns-alb-log-events from /);
    expect(await lambdaSubscriptions()).toEqual([]);
    expect(await invokeStatements()).toEqual([]);
    expect(await getNotifications(moto.clients(), E, BUCKET)).toEqual(bucketAfter);
    expect(await topicPolicy()).toBe(policyBefore);

    const again = await run();
    expect(again.code).toBe(0);
    expect(again.checks.find((c) => c.name === 'sns')!.detail).toMatch(
      /^added the SNS invoke permission .*; subscribed /,
    );
    expect(await lambdaSubscriptions()).toHaveLength(1);
  });

  it('GIVEN a record that is not one of ours WHEN restored THEN exit 2 naming the problem, nothing called', async () => {
    const bad = path.join(dir, 'us-east-1_alb_sns_bad.json');
    writeFileSync(bad, JSON.stringify({ kind: 'taegis-migrate/sns-route-record', version: 1, account: 'x' }));
    const ops: string[] = [];
    const errors: string[] = [];
    const code = await verifyMain(['restore', '--backup', bad], {
      clients: moto.clients({ onRequest: (i) => ops.push(i.operation) }),
      stdout: () => {},
    }).catch((err: unknown) => reportError(err, (l) => errors.push(l)));
    expect(code).toBe(2);
    expect(errors.join('\n')).toContain(
      `record ${bad} is not a taegis-migrate SNS route record: "account" is not a 12-digit account id`,
    );
    expect(ops).toEqual([]);
  });

  it('GIVEN --dry-run THEN it shows the subscription and permission it would add, writes nothing, and exits 0', async () => {
    const r = await run(['--dry-run']);
    expect(r.code).toBe(0);
    expect(r.ops.filter((o) => WRITES.has(o))).toEqual([]);
    expect(files()).toEqual([]);
    const sns = r.checks.find((c) => c.name === 'sns')!;
    expect(sns.status).toBe('warn');
    expect(sns.detail).toBe(
      `dry run: would add the SNS invoke permission (${FN}: sns.amazonaws.com may lambda:InvokeFunction (Sid taegis-sns-alb-log-events, SourceArn ${TOPIC})); would subscribe ${FN_ARN} to ${TOPIC} (protocol lambda)`,
    );
    expect(r.out).toMatch(/remove +lambda old-taegis-alb/);
    expect(r.out).not.toMatch(/add +lambda/);
    expect(await lambdaSubscriptions()).toEqual([]);
  });

  it('GIVEN --check (the drift watch) THEN the missing subscription and permission are drift: exit 1, the fix named, nothing written', async () => {
    const r = await run(['--check', '--since', '1h']);
    expect(r.code).toBe(1);
    expect(r.ops.filter((o) => WRITES.has(o))).toEqual([]);
    expect(files()).toEqual([]);
    const sns = r.checks.find((c) => c.name === 'sns')!;
    expect(sns.status).toBe('fail');
    expect(sns.detail).toMatch(/^drift: would add the SNS invoke permission .*; would subscribe /);
    expect(r.report.drifts?.find((d) => d.check === 'sns')?.fix).toMatch(/^taegis-migrate verify .*--stack /);
    expect(await lambdaSubscriptions()).toEqual([]);
  });

  it("GIVEN the topic's policy does not let the bucket publish (the default policy) THEN the sns check fails (exit 1) with the statement to add, and neither the topic nor the function is changed", async () => {
    // moto's (and AWS's) default topic policy: {"AWS":"*"} on AWS:SourceOwner, which S3's publishes do not carry.
    await moto.reset();
    const c = moto.clients();
    await createBucket(c, E, BUCKET);
    await c.sns(E).send(new CreateTopicCommand({ Name: 'alb-log-events' }));
    await createLambdaStack(c, E, 'alb', BUCKET, { integration: 'awsalb' });
    await putNotifications(c, E, BUCKET, { TopicConfigurations: seeded.TopicConfigurations });
    await putLogLines(c, E, FN, ['Uploading data to s3 ok']);
    const policyBefore = await topicPolicy();

    const r = await run();
    expect(r.code).toBe(1);
    const sns = r.checks.find((c) => c.name === 'sns')!;
    expect(sns.status).toBe('fail');
    expect(sns.detail).toContain(
      `the policy of topic ${TOPIC} does not let s3.amazonaws.com publish for arn:aws:s3:::${BUCKET} (fix: add this statement`,
    );
    expect(sns.detail).toContain('"Principal":{"Service":"s3.amazonaws.com"}');
    expect(sns.detail).toContain('nothing written (once fixed, verify will add the SNS invoke permission');
    expect(r.ops.filter((o) => WRITES.has(o))).toEqual([]);
    expect(await topicPolicy()).toBe(policyBefore);
    expect(await lambdaSubscriptions()).toEqual([]);
    expect(r.junit).toMatch(/name="sns"[^>]*>\s*<failure/);
  });

  it('GIVEN the bucket does not notify the topic THEN the sns check fails with the fix and no direct trigger is written instead', async () => {
    await putNotifications(moto.clients(), E, BUCKET, { QueueConfigurations: seeded.QueueConfigurations });
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.checks.find((c) => c.name === 'sns')!.detail).toContain(
      `bucket ${BUCKET} does not notify topic ${TOPIC}, so no object reaches the function (fix: add a topic entry`,
    );
    const after = await getNotifications(moto.clients(), E, BUCKET);
    expect(after.LambdaFunctionConfigurations ?? []).toEqual([]);
    expect(after.QueueConfigurations).toEqual(seeded.QueueConfigurations);
    expect(await lambdaSubscriptions()).toEqual([]);
  });

  it("GIVEN the stand-in vendor template deployed with SNSNotificationarn THEN verify takes the template's SNS permission as it is and adds only the subscription moto's CloudFormation did not make", async () => {
    await moto.reset();
    const c = moto.clients();
    await createBucket(c, E, BUCKET);
    await createBucket(c, E, 'taegis-staging');
    await c.s3(E).send(
      new PutObjectCommand({
        Bucket: 'taegis-staging',
        Key: 'taegis-lambda-amd64.zip',
        Body: readFileSync(path.join(EXAMPLE_DIR, 'taegis-lambda-amd64.zip')),
      }),
    );
    await c.sns(E).send(new CreateTopicCommand({ Name: 'alb-log-events' }));
    await setTopicPolicy(BUCKET_MAY_PUBLISH);
    await putNotifications(c, E, BUCKET, { TopicConfigurations: seeded.TopicConfigurations });
    const cfn = c.cloudFormation(E);
    await cfn.send(
      new CreateStackCommand({
        StackName: 'alb',
        TemplateBody: readFileSync(path.join(EXAMPLE_DIR, 'taegis-cloudformation-lambda-template.yaml'), 'utf8'),
        Capabilities: ['CAPABILITY_IAM'],
        Parameters: [
          { ParameterKey: 'IntegrationType', ParameterValue: 'awsalb' },
          { ParameterKey: 'NotificationBucket', ParameterValue: BUCKET },
          { ParameterKey: 'SNSNotificationarn', ParameterValue: TOPIC },
          { ParameterKey: 'TaegisLambdaS3BucketName', ParameterValue: 'taegis-staging' },
        ],
      }),
    );
    await waitUntilStackCreateComplete(
      { client: cfn, maxWaitTime: 60, minDelay: 1, maxDelay: 2 },
      { StackName: 'alb' },
    );
    await putLogLines(c, E, FN, ['Uploading data to s3 ok']);
    // moto's CloudFormation makes the template's AWS::Lambda::Permission but skips AWS::SNS::Subscription
    // ("not supported by moto's CloudFormation implementation"); on AWS the stack would subscribe the function too.
    expect(await lambdaSubscriptions()).toEqual([]);
    const templatePermission = await invokeStatements();
    expect(templatePermission.map((x) => x.Principal.Service)).toEqual(['sns.amazonaws.com']);

    const r = await run(['--expect-runtime', 'provided.al2']);
    expect(r.code).toBe(0);
    expect(r.checks.find((x) => x.name === 'sns')).toMatchObject({ status: 'pass', warnings: [] });
    expect(r.checks.find((x) => x.name === 'sns')!.detail).toMatch(/^subscribed .*; read back ok; record /);
    expect(r.ops.filter((o) => WRITES.has(o))).toEqual(['SubscribeCommand']);
    expect(await invokeStatements()).toEqual(templatePermission);
    expect((await lambdaSubscriptions()).map((x) => x.Endpoint)).toEqual([FN_ARN]);
  });

  it('GIVEN a topic that does not exist THEN the sns check fails naming it, and nothing is subscribed', async () => {
    writeConfig({ snsNotificationArn: `arn:aws:sns:${E}:${MOTO_ACCOUNT}:no-such-topic` });
    const r = await run();
    expect(r.code).toBe(1);
    expect(r.checks.find((c) => c.name === 'sns')!.detail).toContain(
      `topic arn:aws:sns:${E}:${MOTO_ACCOUNT}:no-such-topic does not exist`,
    );
    expect(r.ops).not.toContain('SubscribeCommand');
  });
});
