import type { LambdaFunctionConfiguration } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { planBucketNotifications, scopeCovers, type BucketNotifications } from '../../lib/verify/notifications.js';
import { policyAllowsService } from '../../lib/verify/permission.js';
import { checkNamesOf } from '../../lib/verify/report.js';
import {
  parseTopicArn,
  planSnsRoute,
  snsPermissionStatementId,
  topicPolicyAllowsBucket,
  type SnsRouteFacts,
} from '../../lib/verify/sns-route.js';

const ACC = '123456789012';
const TOPIC = `arn:aws:sns:us-east-1:${ACC}:alb-events`;
const BUCKET = 'alb-logs';
const BUCKET_ARN = `arn:aws:s3:::${BUCKET}`;
const fnArn = (name: string, q?: string): string =>
  `arn:aws:lambda:us-east-1:${ACC}:function:${name}${q ? `:${q}` : ''}`;
const FN = fnArn('alb-scwx-tdr-lambda-awsalb');

const policy = (...Statement: object[]): string => JSON.stringify({ Version: '2012-10-17', Statement });
const s3Publish = (Condition?: object, extra: object = {}): object => ({
  Effect: 'Allow',
  Principal: { Service: 's3.amazonaws.com' },
  Action: 'SNS:Publish',
  Resource: TOPIC,
  ...(Condition ? { Condition } : {}),
  ...extra,
});
const DOCUMENTED = policy(
  s3Publish({ ArnLike: { 'aws:SourceArn': BUCKET_ARN }, StringEquals: { 'aws:SourceAccount': ACC } }),
);
const SNS_INVOKE = policy({
  Effect: 'Allow',
  Principal: { Service: 'sns.amazonaws.com' },
  Action: 'lambda:InvokeFunction',
  Resource: FN,
  Condition: { ArnLike: { 'AWS:SourceArn': TOPIC } },
});
const TOPIC_ENTRY = { Id: 'to-topic', TopicArn: TOPIC, Events: ['s3:ObjectCreated:*' as const] };

function facts(over: Partial<SnsRouteFacts> = {}): SnsRouteFacts {
  return {
    stackName: 'alb',
    topicArn: TOPIC,
    functionArn: FN,
    bucket: BUCKET,
    account: ACC,
    bucketConfig: { TopicConfigurations: [TOPIC_ENTRY] },
    topicPolicy: DOCUMENTED,
    subscriptions: [{ SubscriptionArn: `${TOPIC}:1`, Protocol: 'lambda', Endpoint: FN }],
    functionPolicy: SNS_INVOKE,
    ...over,
  };
}

describe('planSnsRoute', () => {
  it('GIVEN entry, policy, subscription and permission in place THEN nothing to add, no problem, no warning', () => {
    const p = planSnsRoute(facts());
    expect(p).toMatchObject({ subscribe: false, problems: [], warnings: [] });
    expect(p.permission).toBeUndefined();
    expect(p.subscription?.SubscriptionArn).toBe(`${TOPIC}:1`);
  });

  it('GIVEN no subscription and no function policy THEN both are to be added, the permission for this topic only', () => {
    const p = planSnsRoute(facts({ subscriptions: [], functionPolicy: undefined }));
    expect(p.subscribe).toBe(true);
    expect(p.permission).toEqual({
      statementId: 'taegis-sns-alb-events',
      functionName: 'alb-scwx-tdr-lambda-awsalb',
      principal: 'sns.amazonaws.com',
      action: 'lambda:InvokeFunction',
      sourceArn: TOPIC,
    });
    expect(p.problems).toEqual([]);
  });

  it('GIVEN subscriptions of other protocols, of an alias, or of another (old) Taegis function of the stack THEN only the exact lambda endpoint counts, the others are warnings', () => {
    const p = planSnsRoute(
      facts({
        subscriptions: [
          { Protocol: 'sqs', Endpoint: FN },
          { Protocol: 'lambda', Endpoint: fnArn('alb-scwx-tdr-lambda-awsalb', 'live') },
          { SubscriptionArn: `${TOPIC}:old`, Protocol: 'lambda', Endpoint: fnArn('alb-scwx-tdr-lambda-old') },
          { Protocol: 'lambda', Endpoint: fnArn('someone-else') },
        ],
      }),
    );
    expect(p.subscribe).toBe(true);
    expect(p.warnings).toEqual([
      `the topic also invokes ${fnArn('alb-scwx-tdr-lambda-awsalb', 'live')} (a version or alias of the function): objects arrive twice`,
      `the topic also invokes ${fnArn('alb-scwx-tdr-lambda-old')}, another Taegis function of alb; if it is the old one, unsubscribe ${TOPIC}:old`,
    ]);
  });

  it('GIVEN an SNS permission for another topic THEN the permission is still missing', () => {
    const other = SNS_INVOKE.replace(TOPIC, `arn:aws:sns:us-east-1:${ACC}:other`);
    expect(planSnsRoute(facts({ functionPolicy: other })).permission?.sourceArn).toBe(TOPIC);
  });

  it('GIVEN the bucket has no entry for the topic THEN it is a problem with the fix (we do not write the topic entry)', () => {
    const p = planSnsRoute(
      facts({ bucketConfig: { TopicConfigurations: [{ ...TOPIC_ENTRY, TopicArn: `${TOPIC}-other` }] } }),
    );
    expect(p.problems).toEqual([
      `bucket ${BUCKET} does not notify topic ${TOPIC}, so no object reaches the function (fix: add a topic entry for s3:ObjectCreated:* to the bucket's event notifications, or remove "snsNotificationArn" from the config to have verify write a direct trigger)`,
    ]);
  });

  it('GIVEN the topic entry announces only removals THEN a warning, not a problem', () => {
    const p = planSnsRoute(
      facts({ bucketConfig: { TopicConfigurations: [{ ...TOPIC_ENTRY, Events: ['s3:ObjectRemoved:*'] }] } }),
    );
    expect(p.problems).toEqual([]);
    expect(p.warnings[0]).toContain('send no s3:ObjectCreated events');
  });

  it('GIVEN the topic policy does not allow the bucket THEN a problem naming the statement to add', () => {
    const p = planSnsRoute(facts({ topicPolicy: undefined }));
    expect(p.problems).toHaveLength(1);
    expect(p.problems[0]).toContain(`does not let s3.amazonaws.com publish for ${BUCKET_ARN}`);
    expect(p.problems[0]).toContain(
      `{"Sid":"taegis-s3-publish","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"SNS:Publish","Resource":"${TOPIC}","Condition":{"ArnLike":{"aws:SourceArn":"${BUCKET_ARN}"},"StringEquals":{"aws:SourceAccount":"${ACC}"}}}`,
    );
  });
});

describe('topicPolicyAllowsBucket', () => {
  const judge = (p: string | undefined) => topicPolicyAllowsBucket(p, TOPIC, BUCKET_ARN, ACC);

  it("accepts AWS's documented statement, and the older {AWS:*} + SourceArn form", () => {
    expect(judge(DOCUMENTED)).toEqual({ allows: true, warnings: [] });
    expect(
      judge(
        policy({
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: ['sns:Publish'],
          Resource: 'arn:aws:sns:us-east-1:*:alb-*',
          Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:s3:*:*:alb-logs' } },
        }),
      ),
    ).toEqual({ allows: true, warnings: [] });
  });

  it('rejects no policy, the default policy (AWS:SourceOwner), another bucket, another account, another topic, another action or principal', () => {
    expect(judge(undefined).allows).toBe(false);
    expect(judge('not json')).toEqual({ allows: false, warnings: ['the topic policy is not valid JSON'] });
    const defaultPolicy = policy({
      Effect: 'Allow',
      Principal: { AWS: '*' },
      Action: ['SNS:Subscribe', 'SNS:Publish'],
      Resource: TOPIC,
      Condition: { StringEquals: { 'AWS:SourceOwner': ACC } },
    });
    expect(judge(defaultPolicy).allows).toBe(false);
    expect(judge(policy(s3Publish({ ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::other' } }))).allows).toBe(false);
    expect(judge(policy(s3Publish({ StringEquals: { 'aws:SourceAccount': '999999999999' } }))).allows).toBe(false);
    expect(
      judge(policy(s3Publish({ ArnLike: { 'aws:SourceArn': BUCKET_ARN } }, { Resource: `${TOPIC}x` }))).allows,
    ).toBe(false);
    expect(
      judge(policy(s3Publish({ ArnLike: { 'aws:SourceArn': BUCKET_ARN } }, { Action: 'SNS:Subscribe' }))).allows,
    ).toBe(false);
    expect(
      judge(
        policy(
          s3Publish({ ArnLike: { 'aws:SourceArn': BUCKET_ARN } }, { Principal: { Service: 'events.amazonaws.com' } }),
        ),
      ).allows,
    ).toBe(false);
  });

  it('allows but warns about a statement without source conditions, conditions it cannot judge, and Deny statements', () => {
    expect(judge(policy(s3Publish(undefined, { Principal: '*', Action: 'sns:*' })))).toEqual({
      allows: true,
      warnings: [
        `statement lets any bucket publish (no aws:SourceArn or aws:SourceAccount condition); consider limiting it to ${BUCKET_ARN}`,
      ],
    });
    const odd = judge(policy(s3Publish({ Bool: { 'aws:SecureTransport': 'true' } }, { Sid: 'tls' })));
    expect(odd).toEqual({
      allows: true,
      warnings: ['statement tls has conditions verify cannot judge (Bool aws:SecureTransport); taken as allowing'],
    });
    const allow = s3Publish({ ArnLike: { 'aws:SourceArn': BUCKET_ARN } });
    const denied = judge(policy(allow, { ...s3Publish(), Effect: 'Deny', Sid: 'no' }));
    expect(denied.allows).toBe(true);
    expect(denied.warnings).toEqual([
      `statement no denies publishing to some callers; check that it spares ${BUCKET_ARN}`,
    ]);
  });
});

describe('SNS names and permission', () => {
  it('parses topic ARNs and makes statement ids AWS accepts', () => {
    expect(parseTopicArn(TOPIC)).toEqual({ partition: 'aws', region: 'us-east-1', account: ACC, name: 'alb-events' });
    expect(parseTopicArn('arn:aws:sqs:us-east-1:123456789012:q')).toBeUndefined();
    expect(snsPermissionStatementId(`arn:aws:sns:us-east-1:${ACC}:events.fifo`)).toBe('taegis-sns-events.fifo');
    expect(snsPermissionStatementId(`arn:aws:sns:us-east-1:${ACC}:${'x'.repeat(200)}`)).toHaveLength(100);
  });

  it('policyAllowsService tells the SNS statement from the S3 one', () => {
    expect(policyAllowsService(SNS_INVOKE, 'sns.amazonaws.com', TOPIC, ACC)).toBe(true);
    expect(policyAllowsService(SNS_INVOKE, 's3.amazonaws.com', TOPIC, ACC)).toBe(false);
  });

  it('puts the sns check after trigger, only for a stack reached through a topic', () => {
    expect(checkNamesOf(false)).toEqual(['stack', 'runtime', 'health', 'trigger', 'logs']);
    expect(checkNamesOf(true)).toEqual(['stack', 'runtime', 'health', 'trigger', 'sns', 'logs']);
  });
});

describe('planBucketNotifications with a stack reached through a topic (viaTopic)', () => {
  const OLD = fnArn('alb-scwx-tdr-lambda-old');
  const stale = (over: Partial<LambdaFunctionConfiguration> = {}): LambdaFunctionConfiguration => ({
    Id: 'old',
    LambdaFunctionArn: OLD,
    Events: ['s3:ObjectCreated:Put'],
    Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'AWSLogs/' }] } },
    ...over,
  });
  const queue = { Id: 'q', QueueArn: `arn:aws:sqs:us-east-1:${ACC}:q`, Events: ['s3:ObjectRemoved:*' as const] };
  const target = { stackName: 'alb', functionArn: FN, viaTopic: TOPIC };

  it("GIVEN the stack's old function is gone THEN its direct entry is removed, no direct entry is added, and foreign entries stay the same objects", () => {
    const current: BucketNotifications = {
      TopicConfigurations: [TOPIC_ENTRY],
      QueueConfigurations: [queue],
      LambdaFunctionConfigurations: [stale()],
    };
    const plan = planBucketNotifications({ current, targets: [target], goneFunctions: new Set([OLD]) });
    expect(plan.stacks).toEqual([]);
    expect(plan.viaTopic).toEqual([{ stackName: 'alb', functionArn: FN, topicArn: TOPIC, uncovered: [] }]);
    expect(plan.changed).toBe(true);
    expect(plan.merged.LambdaFunctionConfigurations).toEqual([]);
    expect(plan.merged.TopicConfigurations![0]).toBe(TOPIC_ENTRY);
    expect(plan.merged.QueueConfigurations![0]).toBe(queue);
    expect(plan.removed.map((r) => [r.entry.Id, r.reason, r.stackName])).toEqual([['old', 'function-gone', 'alb']]);
    expect(plan.overlaps).toEqual([]);
    expect(plan.warnings).toEqual([]);
  });

  it('GIVEN nothing stale THEN nothing changes (a second run writes nothing)', () => {
    const current: BucketNotifications = { TopicConfigurations: [TOPIC_ENTRY], QueueConfigurations: [queue] };
    const plan = planBucketNotifications({ current, targets: [target], goneFunctions: new Set() });
    expect(plan.changed).toBe(false);
    expect(plan.merged).toBe(current);
  });

  it('GIVEN a removed stale entry whose objects the topic entry does not cover THEN a warning says they go dark', () => {
    const current: BucketNotifications = {
      TopicConfigurations: [{ ...TOPIC_ENTRY, Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'elb/' }] } } }],
      LambdaFunctionConfigurations: [stale()],
    };
    const plan = planBucketNotifications({ current, targets: [target], goneFunctions: new Set([OLD]) });
    expect(plan.viaTopic[0]!.uncovered).toEqual([stale()]);
    expect(plan.warnings).toEqual([
      `alb: removing lambda old -> ${OLD} [s3:ObjectCreated:Put] prefix=AWSLogs/; no entry for topic ${TOPIC} covers those objects, so they reach no Taegis function (widen the topic entry if they should)`,
    ]);
  });

  it('GIVEN a direct entry of the function itself THEN it is kept as read with a warning; a qualified one is removed', () => {
    const direct = stale({
      Id: 'direct',
      LambdaFunctionArn: FN,
      Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'other/' }] } },
    });
    const qualified = stale({ Id: 'q1', LambdaFunctionArn: `${FN}:$LATEST` });
    const current: BucketNotifications = {
      TopicConfigurations: [TOPIC_ENTRY],
      LambdaFunctionConfigurations: [direct, qualified],
    };
    const plan = planBucketNotifications({ current, targets: [target], goneFunctions: new Set() });
    expect(plan.merged.LambdaFunctionConfigurations).toEqual([direct]);
    expect(plan.merged.LambdaFunctionConfigurations![0]).toBe(direct);
    expect(plan.removed.map((r) => r.entry.Id)).toEqual(['q1']);
    expect(plan.viaTopic[0]!.directKept).toBe(direct);
    expect(plan.warnings).toEqual([
      `alb: kept lambda direct -> ${FN} [s3:ObjectCreated:Put] prefix=other/, a direct trigger beside topic ${TOPIC}; with SNSNotificationarn set the function gets its events through the topic: remove that entry if the topic covers those objects`,
    ]);
  });

  it('GIVEN a gone entry that names no configured stack THEN it feeds the direct stack, never the topic one', () => {
    const legacy = fnArn('legacy-scwx-tdr-lambda-awswaf');
    const ct = fnArn('ct-scwx-tdr-lambda-awscloudtrail');
    const current: BucketNotifications = {
      LambdaFunctionConfigurations: [stale({ Id: 'legacy', LambdaFunctionArn: legacy })],
    };
    const plan = planBucketNotifications({
      current,
      targets: [target, { stackName: 'ct', functionArn: ct }],
      goneFunctions: new Set([legacy]),
    });
    expect(plan.stacks.map((s) => [s.stackName, s.inheritedFrom?.Id])).toEqual([['ct', 'legacy']]);
    expect(plan.viaTopic[0]!.uncovered).toEqual([]);
  });

  it('scopeCovers: wildcard events and a shorter prefix cover; a longer prefix or another event does not', () => {
    const outer = {
      Events: ['s3:ObjectCreated:*' as const],
      Filter: { Key: { FilterRules: [{ Name: 'prefix' as const, Value: 'AWS' }] } },
    };
    expect(scopeCovers(outer, stale())).toBe(true);
    expect(scopeCovers(stale(), outer)).toBe(false);
    expect(scopeCovers(outer, stale({ Events: ['s3:ObjectRemoved:Delete'] }))).toBe(false);
  });
});
