import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { selectRegions, formatPath } from '../../lib/config/load.js';
import { parseConfig } from '../../lib/config/load.js';
import { deriveTaegisRegion } from '../../lib/config/schema.js';
import { TaegisError } from '../../lib/util/errors.js';

const CONFIG_PATH = path.resolve('/tmp/project/taegis.config.json');

function valid(): Record<string, unknown> {
  return {
    taegisRegion: 'ctpx',
    regions: [
      {
        region: 'us-east-1',
        account: '123456789012',
        lambdaStacks: [
          {
            stackName: 'lab-network-lambda',
            integrationType: 'awscloudtrail',
            notificationBucket: 'lab-cloudtrail-logs',
          },
        ],
      },
    ],
  };
}

function problemsOf(raw: unknown): { path: string; message: string; fix?: string }[] {
  try {
    parseConfig(raw, CONFIG_PATH);
  } catch (err) {
    expect(err).toBeInstanceOf(TaegisError);
    const e = err as TaegisError;
    expect(e.code).toBe('CONFIG_INVALID');
    expect(e.exitCode).toBe(2);
    return e.problems.map((p) => ({ ...p }));
  }
  throw new Error('expected the config to be rejected');
}

describe('config', () => {
  it('GIVEN a minimal config WHEN parsed THEN defaults are applied and artifacts resolve next to the config file', () => {
    const cfg = parseConfig(valid(), CONFIG_PATH, { now: new Date('2026-11-27T00:00:00Z') });
    expect(cfg.lambdaRuntime).toBe('provided.al2');
    expect(cfg.sharedStackName).toBe('taegis-shared-resources');
    expect(cfg.artifactPaths.lambdaZip).toBe('/tmp/project/artifacts/taegis-lambda-amd64.zip');
    expect(cfg.artifactPaths.credentials).toBe('/tmp/project/artifacts/credentials.txt');
  });

  it.each([
    ['https://ctpx.secureworks.com/login', 'ctpx'],
    ['https://delta.taegis.secureworks.com/', 'delta'],
    ['https://echo.taegis.secureworks.com/some/path?x=1', 'echo'],
    ['https://FOXTROT.taegis.secureworks.com', 'foxtrot'],
    ['https://golf.taegis.secureworks.com/', 'golf'],
    ['https://quebec.taegis.secureworks.com/#/alerts', 'quebec'],
    ['https://api.ctpx.secureworks.com/graphql', 'ctpx'],
    ['https://api.tenants.ctpx.secureworks.com', 'ctpx'],
    ['https://api.delta.taegis.secureworks.com', 'delta'],
    ['https://api-tenants.echo.taegis.secureworks.com', 'echo'],
    ['https://us2.taegis.secureworks.com/', 'delta'],
    ['https://ctpx.secureworks.com./', 'ctpx'],
    ['https://example.com/', undefined],
    ['https://taegis.secureworks.com/', undefined],
    ['not a url', undefined],
  ])('GIVEN login URL %s WHEN the Taegis region is derived THEN it is %s', (url, expected) => {
    expect(deriveTaegisRegion(url)).toBe(expected);
  });

  it.each([
    ['charlie', 'ctpx'],
    ['production', 'ctpx'],
    ['US1', 'ctpx'],
    ['us2', 'delta'],
    ['EU', 'echo'],
    ['us3', 'foxtrot'],
    ['euw1', 'golf'],
    ['apse2', 'hotel'],
    ['aps1', 'india'],
    ['apne1', 'juliet'],
    ['sae1', 'kilo'],
    ['cac1', 'quebec'],
    ['Delta', 'delta'],
  ])('GIVEN taegisRegion %s (a Secureworks SDK name) WHEN parsed THEN it is the environment %s', (alias, expected) => {
    expect(parseConfig({ ...valid(), taegisRegion: alias }, CONFIG_PATH).taegisRegion).toBe(expected);
  });

  it('GIVEN a taegisRegion that is no name WHEN parsed THEN the fix lists every environment with its aliases', () => {
    const problems = problemsOf({ ...valid(), taegisRegion: 'us 1' });
    const fix = problems.find((p) => p.path === 'taegisRegion')?.fix ?? '';
    for (const name of ['ctpx (charlie, production, us1)', 'delta (us2)', 'golf (euw1)', 'quebec (cac1)']) {
      expect(fix).toContain(name);
    }
  });

  it('GIVEN xdrLoginUrl instead of taegisRegion WHEN parsed THEN the region is derived', () => {
    const raw = { ...valid(), taegisRegion: undefined, xdrLoginUrl: 'https://delta.taegis.secureworks.com/' };
    expect(parseConfig(raw, CONFIG_PATH).taegisRegion).toBe('delta');
  });

  it('GIVEN several mistakes WHEN parsed THEN one error lists every problem with its JSON path and fix', () => {
    const raw = {
      taegisRegion: 'ctpx',
      xdrLoginUrl: 'https://ctpx.secureworks.com/',
      lambdaRuntime: 'go1.x',
      colour: 'blue',
      regions: [
        {
          region: 'us-east-1',
          account: 123456789012,
          lambdaStacks: [
            {
              stackName: 'a',
              integrationType: 'awscloudtrail',
              notificationBucket: 'arn:aws:s3:::logs',
              snsNotificationArn: 'nope',
            },
            { stackName: 'a', integrationType: 'generic', notificationBucket: 'logs-bucket' },
          ],
        },
      ],
    };
    const problems = problemsOf(raw);
    const paths = problems.map((p) => p.path).sort();
    expect(paths).toEqual(
      [
        'colour',
        'lambdaRuntime',
        'regions[0].account',
        'regions[0].lambdaStacks[0].notificationBucket',
        'regions[0].lambdaStacks[0].snsNotificationArn',
        'xdrLoginUrl',
      ].sort(),
    );
    // The duplicate stack name is a refinement: zod runs refinements only once the shape is valid.
    for (const p of problems) expect(p.fix, `fix for ${p.path}`).toBeTruthy();
  });

  it('GIVEN snsNotificationArn of a topic in another region than its stack WHEN parsed THEN the field is named with its fix (S3 notifies only its own region)', () => {
    const raw = valid();
    const stack = (raw.regions as { lambdaStacks: Record<string, unknown>[] }[])[0]!.lambdaStacks[0]!;
    stack.snsNotificationArn = 'arn:aws:sns:us-east-1:123456789012:logs-events';
    expect(parseConfig(raw, CONFIG_PATH).regions[0]!.lambdaStacks[0]!.snsNotificationArn).toBe(
      'arn:aws:sns:us-east-1:123456789012:logs-events',
    );
    stack.snsNotificationArn = 'arn:aws:sns:eu-west-1:123456789012:logs-events';
    expect(problemsOf(raw)).toEqual([
      {
        path: 'regions[0].lambdaStacks[0].snsNotificationArn',
        message:
          "is a topic in eu-west-1, but the stack and its bucket are in us-east-1 (S3 notifies only topics of the bucket's region)",
        fix: 'use the ARN of the topic the bucket notifies (arn:aws:sns:us-east-1:<account>:<topic>), or remove the field',
      },
    ]);
  });

  it('GIVEN a stack trigger WHEN parsed THEN its events and filter are kept; WHEN malformed THEN each field is named with its fix', () => {
    const ok = valid();
    const stack = (ok.regions as { lambdaStacks: Record<string, unknown>[] }[])[0]!.lambdaStacks[0]!;
    stack.trigger = { events: ['s3:ObjectCreated:Put'], prefix: 'AWSLogs/', suffix: '.json.gz' };
    expect(parseConfig(ok, CONFIG_PATH).regions[0]!.lambdaStacks[0]!.trigger).toEqual({
      events: ['s3:ObjectCreated:Put'],
      prefix: 'AWSLogs/',
      suffix: '.json.gz',
    });

    stack.trigger = { events: ['ObjectCreated', 's3:objectcreated:put'], prefix: '', suffix: '.gz', filter: 'x' };
    const problems = problemsOf(ok);
    expect(problems.map((p) => p.path).sort()).toEqual(
      [
        'regions[0].lambdaStacks[0].trigger.events[0]',
        'regions[0].lambdaStacks[0].trigger.events[1]',
        'regions[0].lambdaStacks[0].trigger.filter',
        'regions[0].lambdaStacks[0].trigger.prefix',
      ].sort(),
    );
    const byPath = new Map(problems.map((p) => [p.path, p]));
    expect(byPath.get('regions[0].lambdaStacks[0].trigger.events[0]')).toMatchObject({
      message: expect.stringContaining('is not an S3 event type') as unknown,
      fix: expect.stringContaining('s3:ObjectCreated:*') as unknown,
    });
    expect(byPath.get('regions[0].lambdaStacks[0].trigger.prefix')?.fix).toContain('remove "prefix"');

    stack.trigger = { events: [] };
    expect(problemsOf(ok)).toEqual([
      expect.objectContaining({ path: 'regions[0].lambdaStacks[0].trigger.events', message: 'is empty' }),
    ]);
  });

  it('GIVEN a duplicated stack and region WHEN parsed THEN both are named', () => {
    const base = valid();
    const region = (base.regions as unknown[])[0] as Record<string, unknown>;
    const stacks = region.lambdaStacks as unknown[];
    const raw = { ...base, regions: [{ ...region, lambdaStacks: [...stacks, ...stacks] }, region] };
    expect(problemsOf(raw).map((p) => p.path)).toEqual(['regions[0].lambdaStacks[1].stackName', 'regions[1].region']);
  });

  it('GIVEN neither taegisRegion nor xdrLoginUrl WHEN parsed THEN the fix says to set exactly one', () => {
    const problems = problemsOf({ ...valid(), taegisRegion: undefined });
    expect(problems).toEqual([
      { path: '(root)', message: 'neither "taegisRegion" nor "xdrLoginUrl" is set', fix: 'set exactly one of them' },
    ]);
  });

  it('GIVEN a missing required field WHEN parsed THEN it is reported as missing', () => {
    const raw = valid();
    delete (raw as { regions?: unknown }).regions;
    expect(problemsOf(raw)).toEqual([
      { path: 'regions', message: 'is required but missing', fix: 'add "regions" (see docs/config.md)' },
    ]);
  });

  it('GIVEN a region filter WHEN it names a configured region THEN only that region is kept, and an unknown one is bad input', () => {
    const raw = valid();
    (raw.regions as unknown[]).push({ region: 'eu-west-1', account: '123456789012', lambdaStacks: [] });
    const cfg = parseConfig(raw, CONFIG_PATH);
    expect(selectRegions(cfg, ['eu-west-1']).regions.map((r) => r.region)).toEqual(['eu-west-1']);
    expect(selectRegions(cfg, ['us-east-1,eu-west-1']).regions).toHaveLength(2);
    expect(selectRegions(cfg, []).regions).toHaveLength(2);
    expect(() => selectRegions(cfg, ['ap-south-1'])).toThrow(/ap-south-1 is not in/);
  });

  it('formats JSON paths the way users read them', () => {
    expect(formatPath(['regions', 0, 'lambdaStacks', 2, 'stackName'])).toBe('regions[0].lambdaStacks[2].stackName');
    expect(formatPath([])).toBe('(root)');
  });
});

describe('config field types', () => {
  it('GIVEN a field of the wrong type WHEN parsed THEN it is reported as the wrong type, not as missing', () => {
    const problems = problemsOf({ ...valid(), regions: 'us-east-1' });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('regions');
    expect(problems[0]?.message).not.toMatch(/missing/);
  });
});
