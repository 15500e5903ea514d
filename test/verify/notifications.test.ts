import type { FilterRuleName, LambdaFunctionConfiguration } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import {
  canonicalNotifications,
  notificationsFromResponse,
  entriesOverlap,
  eventsOverlap,
  parseLambdaArn,
  planBucketNotifications,
  sameNotifications,
  taegisFunctionsToCheck,
  type BucketNotifications,
} from '../../lib/verify/notifications.js';
import { policyAllowsS3, permissionStatementId } from '../../lib/verify/permission.js';

const ACC = '123456789012';
// AWS returns capitalised rule names although the SDK's type only lists the lowercase ones.
const AWS_PREFIX = 'Prefix' as FilterRuleName;
const AWS_SUFFIX = 'Suffix' as FilterRuleName;
const fnArn = (name: string, q?: string): string =>
  `arn:aws:lambda:us-east-1:${ACC}:function:${name}${q ? `:${q}` : ''}`;
const NEW = fnArn('ct-scwx-tdr-lambda-awscloudtrail');
const OLD_GONE = fnArn('ct-scwx-tdr-lambda-old');

function fixture(): BucketNotifications {
  return {
    TopicConfigurations: [{ Id: 'topic', TopicArn: `arn:aws:sns:us-east-1:${ACC}:t`, Events: ['s3:ObjectRemoved:*'] }],
    QueueConfigurations: [
      {
        Id: 'queue',
        QueueArn: `arn:aws:sqs:us-east-1:${ACC}:q`,
        Events: ['s3:ObjectCreated:*'],
        Filter: { Key: { FilterRules: [{ Name: AWS_PREFIX, Value: 'other/' }] } },
      },
    ],
    LambdaFunctionConfigurations: [
      {
        Id: 'foreign-1',
        LambdaFunctionArn: fnArn('someone-else'),
        Events: ['s3:ObjectCreated:Put'],
        Filter: {
          Key: {
            FilterRules: [
              { Name: AWS_PREFIX, Value: 'exports/' },
              { Name: AWS_SUFFIX, Value: '.csv' },
            ],
          },
        },
      },
      {
        Id: 'stale-taegis',
        LambdaFunctionArn: OLD_GONE,
        Events: ['s3:ObjectCreated:Put', 's3:ObjectCreated:CompleteMultipartUpload'],
        Filter: { Key: { FilterRules: [{ Name: AWS_PREFIX, Value: 'AWSLogs/' }] } },
      },
      { Id: 'foreign-2', LambdaFunctionArn: fnArn('another'), Events: ['s3:ObjectRemoved:Delete'] },
    ],
    EventBridgeConfiguration: {},
  };
}

describe('parseLambdaArn', () => {
  it('GIVEN qualified and unqualified ARNs THEN the unqualified ARN and qualifier are split out', () => {
    expect(parseLambdaArn(fnArn('f', '$LATEST'))).toMatchObject({
      name: 'f',
      qualifier: '$LATEST',
      unqualifiedArn: fnArn('f'),
    });
    expect(parseLambdaArn(fnArn('f'))?.qualifier).toBeUndefined();
    expect(parseLambdaArn('arn:aws:sqs:us-east-1:123456789012:q')).toBeUndefined();
  });
});

describe('planBucketNotifications', () => {
  it('GIVEN a stale Taegis entry whose function is gone WHEN planned THEN foreign entries are the same objects in order, EventBridge survives, and the new entry inherits events and filter in the stale slot', () => {
    const current = fixture();
    const plan = planBucketNotifications({
      current,
      targets: [{ stackName: 'ct', functionArn: NEW }],
      goneFunctions: new Set([OLD_GONE]),
    });
    expect(plan.changed).toBe(true);
    expect(plan.overlaps).toEqual([]);
    const lambdas = plan.merged.LambdaFunctionConfigurations!;
    expect(lambdas.map((e) => e.Id)).toEqual([
      'foreign-1',
      'taegis-migrate-ct-scwx-tdr-lambda-awscloudtrail',
      'foreign-2',
    ]);
    // Byte for byte: the very objects read, not copies.
    expect(lambdas[0]).toBe(current.LambdaFunctionConfigurations![0]);
    expect(lambdas[2]).toBe(current.LambdaFunctionConfigurations![2]);
    expect(plan.merged.QueueConfigurations).toBe(current.QueueConfigurations);
    expect(plan.merged.TopicConfigurations).toBe(current.TopicConfigurations);
    expect(plan.merged.EventBridgeConfiguration).toBe(current.EventBridgeConfiguration);
    expect(lambdas[1]).toEqual({
      Id: 'taegis-migrate-ct-scwx-tdr-lambda-awscloudtrail',
      LambdaFunctionArn: NEW,
      Events: ['s3:ObjectCreated:Put', 's3:ObjectCreated:CompleteMultipartUpload'],
      // Written back as read (AWS spelling), not rewritten.
      Filter: { Key: { FilterRules: [{ Name: AWS_PREFIX, Value: 'AWSLogs/' }] } },
    });
    expect(plan.removed.map((r) => [r.entry.Id, r.reason, r.stackName])).toEqual([
      ['stale-taegis', 'function-gone', 'ct'],
    ]);
    expect(plan.stacks[0]).toMatchObject({ status: 'added', inheritedFrom: { Id: 'stale-taegis' } });
    // The input was not mutated.
    expect(current).toEqual(fixture());
  });

  it('GIVEN a Taegis entry whose function still exists (not in goneFunctions) THEN it is kept as foreign', () => {
    const plan = planBucketNotifications({
      current: fixture(),
      targets: [{ stackName: 'ct', functionArn: NEW }],
      goneFunctions: new Set(),
    });
    expect(plan.merged.LambdaFunctionConfigurations!.map((e) => e.Id)).toEqual([
      'foreign-1',
      'stale-taegis',
      'foreign-2',
      'taegis-migrate-ct-scwx-tdr-lambda-awscloudtrail',
    ]);
    expect(plan.removed).toEqual([]);
    // New entry has default events and no filter: it overlaps every kept ObjectCreated entry.
    expect(plan.overlaps.map((o) => o.conflictsWith.split(' ')[1])).toEqual(['queue', 'foreign-1', 'stale-taegis']);
  });

  it('GIVEN the desired entry already in place and no stale entries THEN nothing changes and the same object is returned', () => {
    const current: BucketNotifications = {
      LambdaFunctionConfigurations: [{ Id: 'mine', LambdaFunctionArn: NEW, Events: ['s3:ObjectCreated:*'] }],
    };
    const plan = planBucketNotifications({
      current,
      targets: [{ stackName: 'ct', functionArn: NEW }],
      goneFunctions: new Set(),
    });
    expect(plan.changed).toBe(false);
    expect(plan.merged).toBe(current);
    expect(plan.stacks[0]?.status).toBe('in-place');
  });

  it('GIVEN an entry on a qualified ARN of the function THEN it is stale and replaced in its slot with the unqualified ARN', () => {
    const stale: LambdaFunctionConfiguration = {
      Id: 'q',
      LambdaFunctionArn: `${NEW}:$LATEST`,
      Events: ['s3:ObjectCreated:Post'],
    };
    const plan = planBucketNotifications({
      current: { LambdaFunctionConfigurations: [stale] },
      targets: [{ stackName: 'ct', functionArn: NEW }],
      goneFunctions: new Set(),
    });
    expect(plan.merged.LambdaFunctionConfigurations).toEqual([
      {
        Id: 'taegis-migrate-ct-scwx-tdr-lambda-awscloudtrail',
        LambdaFunctionArn: NEW,
        Events: ['s3:ObjectCreated:Post'],
      },
    ]);
    expect(plan.removed[0]?.reason).toBe('qualified-or-duplicate');
  });

  it('GIVEN two unqualified triggers of the function WHEN they cover other objects THEN both are kept with a warning, and an exact copy is removed', () => {
    const a: LambdaFunctionConfiguration = {
      Id: 'a',
      LambdaFunctionArn: NEW,
      Events: ['s3:ObjectCreated:*'],
      Filter: { Key: { FilterRules: [{ Name: AWS_PREFIX, Value: 'AWSLogs/1/' }] } },
    };
    const b: LambdaFunctionConfiguration = {
      ...a,
      Id: 'b',
      Filter: { Key: { FilterRules: [{ Name: AWS_PREFIX, Value: 'AWSLogs/2/' }] } },
    };
    const copy: LambdaFunctionConfiguration = { ...a, Id: 'copy' };
    const plan = planBucketNotifications({
      current: { LambdaFunctionConfigurations: [a, b, copy] },
      targets: [{ stackName: 'ct', functionArn: NEW }],
      goneFunctions: new Set(),
    });
    expect(plan.merged.LambdaFunctionConfigurations).toEqual([a, b]);
    expect(plan.removed.map((r) => r.reason)).toEqual(['qualified-or-duplicate']);
    expect(plan.warnings.join('\n')).toContain('kept b');
  });

  it('GIVEN two stacks on one bucket with their own gone entries THEN each inherits its own (attributed by stack-name prefix)', () => {
    const a = fnArn('a-scwx-tdr-lambda-x');
    const b = fnArn('b-scwx-tdr-lambda-y');
    const goneA = fnArn('a-scwx-tdr-lambda-old');
    const goneB = fnArn('b-scwx-tdr-lambda-old');
    const current: BucketNotifications = {
      LambdaFunctionConfigurations: [
        {
          Id: 'gb',
          LambdaFunctionArn: goneB,
          Events: ['s3:ObjectCreated:*'],
          Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'b/' }] } },
        },
        {
          Id: 'ga',
          LambdaFunctionArn: goneA,
          Events: ['s3:ObjectCreated:*'],
          Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'a/' }] } },
        },
      ],
    };
    const plan = planBucketNotifications({
      current,
      targets: [
        { stackName: 'a', functionArn: a },
        { stackName: 'b', functionArn: b },
      ],
      goneFunctions: new Set([goneA, goneB]),
    });
    expect(
      plan.merged.LambdaFunctionConfigurations!.map((e) => [
        e.LambdaFunctionArn,
        e.Filter?.Key?.FilterRules?.[0]?.Value,
      ]),
    ).toEqual([
      [b, 'b/'],
      [a, 'a/'],
    ]);
    expect(plan.overlaps).toEqual([]);
  });

  it('GIVEN a held stack (earlier check failed) THEN its gone entry is left untouched', () => {
    const goneA = fnArn('a-scwx-tdr-lambda-old');
    const entry = {
      Id: 'ga',
      LambdaFunctionArn: goneA,
      Events: ['s3:ObjectCreated:*' as const],
      Filter: { Key: { FilterRules: [{ Name: 'prefix' as const, Value: 'a/' }] } },
    };
    const plan = planBucketNotifications({
      current: { LambdaFunctionConfigurations: [entry] },
      targets: [{ stackName: 'b', functionArn: fnArn('b-scwx-tdr-lambda-y') }],
      goneFunctions: new Set([goneA]),
      heldStacks: ['a'],
    });
    expect(plan.merged.LambdaFunctionConfigurations![0]).toBe(entry);
    expect(plan.removed).toEqual([]);
  });

  it('GIVEN the desired entry would overlap a kept queue entry THEN the plan reports the overlap', () => {
    const plan = planBucketNotifications({
      current: {
        QueueConfigurations: [
          { Id: 'q', QueueArn: `arn:aws:sqs:us-east-1:${ACC}:q`, Events: ['s3:ObjectCreated:Put'] },
        ],
      },
      targets: [{ stackName: 'ct', functionArn: NEW }],
      goneFunctions: new Set(),
    });
    expect(plan.overlaps).toHaveLength(1);
    expect(plan.overlaps[0]?.conflictsWith).toContain('queue q');
  });

  it('GIVEN a configured trigger WHEN the stale entry it replaces would overlap a kept entry THEN the new entry takes the configured events and filter, in the stale slot, and nothing overlaps', () => {
    const current = fixture();
    // The queue now takes new objects under AWSLogs/ too: inheriting the stale AWSLogs/ entry would be ambiguous.
    current.QueueConfigurations![0]!.Filter = {
      Key: {
        FilterRules: [
          { Name: AWS_PREFIX, Value: 'AWSLogs/' },
          { Name: AWS_SUFFIX, Value: '-digest.json' },
        ],
      },
    };
    const inherited = planBucketNotifications({
      current,
      targets: [{ stackName: 'ct', functionArn: NEW }],
      goneFunctions: new Set([OLD_GONE]),
    });
    expect(inherited.overlaps).toHaveLength(1);

    const plan = planBucketNotifications({
      current,
      targets: [{ stackName: 'ct', functionArn: NEW, trigger: { prefix: 'AWSLogs/', suffix: '.json.gz' } }],
      goneFunctions: new Set([OLD_GONE]),
    });
    expect(plan.overlaps).toEqual([]);
    const lambdas = plan.merged.LambdaFunctionConfigurations!;
    expect(lambdas.map((e) => e.Id)).toEqual([
      'foreign-1',
      'taegis-migrate-ct-scwx-tdr-lambda-awscloudtrail',
      'foreign-2',
    ]);
    expect(lambdas[1]).toEqual({
      Id: 'taegis-migrate-ct-scwx-tdr-lambda-awscloudtrail',
      LambdaFunctionArn: NEW,
      Events: ['s3:ObjectCreated:*'],
      Filter: {
        Key: {
          FilterRules: [
            { Name: 'prefix', Value: 'AWSLogs/' },
            { Name: 'suffix', Value: '.json.gz' },
          ],
        },
      },
    });
    expect(plan.stacks[0]).toMatchObject({ status: 'added', fromConfig: true });
    expect(plan.stacks[0]?.inheritedFrom).toBeUndefined();
    expect(plan.removed.map((r) => r.entry.Id)).toEqual(['stale-taegis']);
  });

  it('GIVEN a configured trigger WHEN the function already has an entry with another scope THEN the entry is left as it is, with a warning', () => {
    const entry: LambdaFunctionConfiguration = { Id: 'mine', LambdaFunctionArn: NEW, Events: ['s3:ObjectCreated:*'] };
    const plan = planBucketNotifications({
      current: { LambdaFunctionConfigurations: [entry] },
      targets: [{ stackName: 'ct', functionArn: NEW, trigger: { events: ['s3:ObjectCreated:Put'] } }],
      goneFunctions: new Set(),
    });
    expect(plan.changed).toBe(false);
    expect(plan.stacks[0]).toMatchObject({ status: 'in-place', desired: entry });
    expect(plan.warnings).toEqual([
      expect.stringContaining('ct: trigger mine is in place with other events or filter'),
    ]);

    const same = planBucketNotifications({
      current: { LambdaFunctionConfigurations: [entry] },
      targets: [{ stackName: 'ct', functionArn: NEW, trigger: {} }],
      goneFunctions: new Set(),
    });
    expect(same.warnings).toEqual([]);
  });

  it('GIVEN a kept entry already using the new Id THEN the new entry gets a unique one', () => {
    const plan = planBucketNotifications({
      current: {
        QueueConfigurations: [
          {
            Id: 'taegis-migrate-ct-scwx-tdr-lambda-awscloudtrail',
            QueueArn: `arn:aws:sqs:us-east-1:${ACC}:q`,
            Events: ['s3:ObjectRemoved:*'],
          },
        ],
      },
      targets: [{ stackName: 'ct', functionArn: NEW }],
      goneFunctions: new Set(),
    });
    expect(plan.merged.LambdaFunctionConfigurations?.[0]?.Id).toBe('taegis-migrate-ct-scwx-tdr-lambda-awscloudtrail-2');
  });

  it('lists Taegis functions to check for existence, excluding the targets and non-Taegis functions', () => {
    expect(taegisFunctionsToCheck(fixture(), [{ stackName: 'ct', functionArn: NEW }])).toEqual([OLD_GONE]);
  });
});

describe('overlap rules (as S3 defines them)', () => {
  const e = (events: string[], prefix = '', suffix = '') => ({
    Events: events,
    Filter: {
      Key: {
        FilterRules: [
          { Name: AWS_PREFIX, Value: prefix },
          { Name: 'suffix' as FilterRuleName, Value: suffix },
        ],
      },
    },
  });
  it.each([
    [e(['s3:ObjectCreated:*']), e(['s3:ObjectCreated:Put']), true],
    [e(['s3:ObjectCreated:*']), e(['s3:ObjectRemoved:*']), false],
    [e(['s3:ObjectCreated:*'], 'a/'), e(['s3:ObjectCreated:*'], 'b/'), false],
    [e(['s3:ObjectCreated:*'], 'a/'), e(['s3:ObjectCreated:*'], 'a/b/'), true],
    [e(['s3:ObjectCreated:*'], '', '.gz'), e(['s3:ObjectCreated:*'], '', '.csv'), false],
    [e(['s3:ObjectCreated:*'], '', '.gz'), e(['s3:ObjectCreated:*'], '', 'log.gz'), true],
    [e(['s3:ObjectCreated:*'], 'a/', '.gz'), e(['s3:ObjectCreated:*'], 'b/', '.gz'), false],
  ])('case %#', (a, b, expected) => {
    expect(entriesOverlap(a, b)).toBe(expected);
    expect(entriesOverlap(b, a)).toBe(expected);
  });
  it('compares events with wildcards', () => {
    expect(eventsOverlap('s3:ObjectCreated:*', 's3:ObjectCreated:Copy')).toBe(true);
    expect(eventsOverlap('s3:ObjectCreated:Put', 's3:ObjectCreated:Copy')).toBe(false);
  });
});

describe('sameNotifications', () => {
  it('treats filter rule names case-insensitively and empty lists as absent, but sees a changed entry', () => {
    const a: BucketNotifications = {
      LambdaFunctionConfigurations: [
        {
          Id: 'x',
          LambdaFunctionArn: NEW,
          Events: ['s3:ObjectCreated:*'],
          Filter: { Key: { FilterRules: [{ Name: AWS_PREFIX, Value: 'p/' }] } },
        },
      ],
    };
    const b: BucketNotifications = {
      QueueConfigurations: [],
      LambdaFunctionConfigurations: [
        {
          Id: 'x',
          LambdaFunctionArn: NEW,
          Events: ['s3:ObjectCreated:*'],
          Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'p/' }] } },
        },
      ],
    };
    expect(sameNotifications(a, b)).toBe(true);
    const c = structuredClone(b);
    c.LambdaFunctionConfigurations![0]!.Id = 'y';
    expect(sameNotifications(a, c)).toBe(false);
    expect(canonicalNotifications({ EventBridgeConfiguration: {} })).not.toBe(canonicalNotifications({}));
  });
});

describe('policyAllowsS3', () => {
  const bucketArn = 'arn:aws:s3:::logs';
  const policy = (condition: Record<string, unknown>, principal: unknown = { Service: 's3.amazonaws.com' }) =>
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 's',
          Effect: 'Allow',
          Principal: principal,
          Action: 'lambda:InvokeFunction',
          Resource: NEW,
          Condition: condition,
        },
      ],
    });
  it('accepts SourceArn + SourceAccount (moto and AWS shape)', () => {
    expect(
      policyAllowsS3(
        policy({ ArnLike: { 'AWS:SourceArn': bucketArn }, StringEquals: { 'AWS:SourceAccount': ACC } }),
        bucketArn,
        ACC,
      ),
    ).toBe(true);
  });
  it('rejects another bucket, another account, no SourceArn, another principal, or no policy', () => {
    expect(policyAllowsS3(policy({ ArnLike: { 'AWS:SourceArn': 'arn:aws:s3:::other' } }), bucketArn, ACC)).toBe(false);
    expect(
      policyAllowsS3(
        policy({ ArnLike: { 'AWS:SourceArn': bucketArn }, StringEquals: { 'AWS:SourceAccount': '999999999999' } }),
        bucketArn,
        ACC,
      ),
    ).toBe(false);
    expect(policyAllowsS3(policy({}), bucketArn, ACC)).toBe(false);
    expect(
      policyAllowsS3(
        policy({ ArnLike: { 'AWS:SourceArn': bucketArn } }, { Service: 'sns.amazonaws.com' }),
        bucketArn,
        ACC,
      ),
    ).toBe(false);
    expect(policyAllowsS3(undefined, bucketArn, ACC)).toBe(false);
  });
  it('makes statement ids AWS accepts', () => {
    expect(permissionStatementId('my.bucket-1')).toBe('taegis-s3-my.bucket-1');
  });
});

describe('notificationsFromResponse', () => {
  it('GIVEN a bucket with EventBridge on WHEN its configuration is read THEN EventBridge is carried into what we put back', () => {
    // moto's GET never returns EventBridgeConfiguration, so only this test guards it: dropping it on the put would
    // switch EventBridge delivery off for the whole bucket on real S3.
    const read = notificationsFromResponse({
      $metadata: {},
      EventBridgeConfiguration: {},
      QueueConfigurations: [
        { Id: 'q', QueueArn: 'arn:aws:sqs:us-east-1:123456789012:q', Events: ['s3:ObjectCreated:*'] },
      ],
    });
    expect(read).toEqual({
      EventBridgeConfiguration: {},
      QueueConfigurations: [
        { Id: 'q', QueueArn: 'arn:aws:sqs:us-east-1:123456789012:q', Events: ['s3:ObjectCreated:*'] },
      ],
    });
    expect(notificationsFromResponse({ $metadata: {} })).toEqual({});
  });
});
