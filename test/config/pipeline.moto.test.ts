import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lib/config/load.js';
import { resolveWaves, targetName } from '../../lib/config/pipeline.js';
import { TaegisError } from '../../lib/util/errors.js';
import { dynamicReference, secretPlacements } from '../../lib/secret/secret.js';
import { EXAMPLE_CONFIG, exampleRawConfig, ROOT, writeJson } from '../support/example.js';
import { run } from '../support/run.js';
import { pipelineRaw } from '../support/pipeline.js';

const T = (account: string, region: string) => ({ account, region });
const TARGETS = [T('111111111111', 'us-east-1'), T('222222222222', 'us-east-1'), T('222222222222', 'eu-west-1')];

function problemsOf(mutate: (raw: Record<string, unknown>) => void): string[] {
  const raw = exampleRawConfig();
  pipelineRaw(raw);
  mutate(raw);
  try {
    parseConfig(raw, EXAMPLE_CONFIG);
  } catch (err) {
    expect(err).toBeInstanceOf(TaegisError);
    expect((err as TaegisError).exitCode).toBe(2);
    return (err as TaegisError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected the config to be rejected');
}
const waves = (raw: Record<string, unknown>) => (raw.pipeline as { waves: Record<string, unknown>[] }).waves;

describe('pipeline waves: every target in exactly one wave', () => {
  it('GIVEN a canary by exact name, an account glob and "*" THEN exact beats glob beats "*", in config order', () => {
    const r = resolveWaves(TARGETS, [
      { name: 'canary', targets: ['222222222222/eu-west-1'], approval: false },
      { name: 'acct2', targets: ['222222222222/*'], approval: true },
      { name: 'rest', targets: ['*'], approval: false },
    ]);
    expect(r.problems).toEqual([]);
    expect(r.waves.map((w) => [w.name, w.approval, w.targets.map(targetName)])).toEqual([
      ['canary', false, ['222222222222/eu-west-1']],
      ['acct2', true, ['222222222222/us-east-1']],
      ['rest', false, ['111111111111/us-east-1']],
    ]);
  });

  it('GIVEN the same region in two accounts THEN each is its own target', () => {
    const r = resolveWaves(TARGETS, [{ name: 'east', targets: ['*/us-east-1', '*/eu-west-1'], approval: false }]);
    expect(r.problems).toEqual([]);
    expect(r.waves[0]!.targets).toHaveLength(3);
  });

  it('GIVEN two globs of different waves matching one target THEN it is in two waves', () => {
    const r = resolveWaves(TARGETS, [
      { name: 'a', targets: ['*/us-east-1'], approval: false },
      { name: 'b', targets: ['222222222222/*'], approval: false },
    ]);
    expect(r.problems.map((p) => p.message.split('\u0000')[0])).toEqual([
      'target "222222222222/us-east-1" is in two waves: "a" (waves[0].targets[0]) and "b" (by "222222222222/*")',
    ]);
  });

  it.each([
    [
      'an unknown target in a wave',
      (raw: Record<string, unknown>) => (waves(raw)[0]!.targets = ['333333333333/us-east-1']),
      ['pipeline.waves[0].targets[0]: "333333333333/us-east-1" is not a configured target'],
    ],
    [
      'a target in two waves',
      (raw: Record<string, unknown>) => (waves(raw)[1]!.targets = ['222222222222/us-west-2', '*']),
      [
        'pipeline.waves[1].targets[0]: target "222222222222/us-west-2" is in two waves: "canary" (waves[0].targets[0]) and "rest"',
      ],
    ],
    [
      'a target in no wave',
      (raw: Record<string, unknown>) => (waves(raw)[1]!.targets = ['123456789012/us-east-1']),
      ['pipeline.waves: target "123456789012/eu-west-1" is in no wave'],
    ],
    [
      'a pipeline without source',
      (raw: Record<string, unknown>) => delete (raw.pipeline as Record<string, unknown>).source,
      ['pipeline.source: is required but missing'],
    ],
    [
      'a glob that matches nothing',
      (raw: Record<string, unknown>) => (waves(raw)[1]!.targets = ['*', '999*']),
      ['pipeline.waves[1].targets[1]: "999*" matches no configured target'],
    ],
    [
      'a pipeline without a credentials secret',
      (raw: Record<string, unknown>) => delete raw.credentialsSecret,
      [
        'regions[0].credentialsSecret: target "123456789012/us-east-1" has no credentials secret, which a pipeline needs (it passes no stack parameters)',
        'regions[1].credentialsSecret: target "123456789012/eu-west-1" has no credentials secret, which a pipeline needs (it passes no stack parameters)',
        'regions[2].credentialsSecret: target "222222222222/us-west-2" has no credentials secret, which a pipeline needs (it passes no stack parameters)',
      ],
    ],
    [
      'artifactsSource with credentials.txt and without the zip',
      (raw: Record<string, unknown>) =>
        ((raw.pipeline as Record<string, unknown>).artifactsSource = {
          bucket: 'vendor-drop',
          sha256: {
            'taegis-cloudformation-shared-resources.yaml': 'a'.repeat(64),
            'taegis-cloudformation-lambda-template.yaml': 'b'.repeat(64),
            'credentials.txt': 'c'.repeat(64),
          },
        }),
      [
        'pipeline.artifactsSource.sha256.taegis-lambda-amd64.zip: has no SHA-256 for "taegis-lambda-amd64.zip"',
        'pipeline.artifactsSource.sha256.credentials.txt: "credentials.txt" is not one of the vendor files the synth needs (taegis-lambda-amd64.zip, taegis-cloudformation-shared-resources.yaml, taegis-cloudformation-lambda-template.yaml)',
      ],
    ],
  ])('GIVEN %s THEN the config is rejected naming it', (_name, mutate, expected) => {
    expect(problemsOf(mutate)).toEqual(expected);
  });

  it('GIVEN a config without "pipeline" THEN it parses with no pipeline and no secret', () => {
    const cfg = parseConfig(exampleRawConfig(), EXAMPLE_CONFIG);
    expect(cfg.pipeline).toBeUndefined();
    expect(cfg.credentialsSecret).toBeUndefined();
  });
});

describe('bad pipeline input through the CDK app entry point: exit 2, nothing synthesized', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'taegis-pipeline-bad-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    [
      'unknown target in a wave',
      (raw: Record<string, unknown>) => (waves(raw)[0]!.targets = ['333333333333/us-east-1']),
      '"333333333333/us-east-1" is not a configured target',
    ],
    [
      'target in two waves',
      (raw: Record<string, unknown>) => (waves(raw)[1]!.targets = ['222222222222/us-west-2', '*']),
      'is in two waves',
    ],
    [
      'pipeline without source',
      (raw: Record<string, unknown>) => delete (raw.pipeline as Record<string, unknown>).source,
      'pipeline.source: is required but missing',
    ],
  ])(
    'GIVEN %s WHEN the app runs as cdk synth runs it THEN exit 2 with the problem',
    async (name, mutate, text) => {
      const raw = exampleRawConfig();
      raw.artifactsDir = path.join(ROOT, 'assets', 'example');
      pipelineRaw(raw);
      mutate(raw);
      const file = path.join(dir, `${name.replace(/\W+/g, '-')}.json`);
      writeJson(file, raw);
      const outdir = path.join(dir, `out-${name.replace(/\W+/g, '-')}`);
      const r = await run(path.join(ROOT, 'node_modules/.bin/tsx'), [path.join(ROOT, 'bin/cdk-app.ts')], {
        cwd: ROOT,
        env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ config: file }), CDK_OUTDIR: outdir },
        timeoutMs: 60_000,
      });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('error CONFIG_INVALID');
      expect(r.stderr).toContain(text);
      expect(() => readFileSync(path.join(outdir, 'manifest.json'))).toThrow();
    },
    240_000,
  );
});

describe('credentialsSecret: where each target reads its SecretValue', () => {
  it('GIVEN a name at the top level and one region with a shared ARN THEN the name is one secret per target and the ARN one secret for its users', () => {
    const raw = exampleRawConfig();
    pipelineRaw(raw);
    const arn = 'arn:aws:secretsmanager:us-east-1:999999999999:secret:taegis-shared-AbCdEf';
    (raw.regions as Record<string, unknown>[])[0]!.credentialsSecret = { arn };
    const cfg = parseConfig(raw, EXAMPLE_CONFIG);
    expect(secretPlacements(cfg)).toEqual([
      { id: arn, region: 'us-east-1', account: '999999999999', targets: ['123456789012/us-east-1'] },
      {
        id: 'taegis-migrate/credentials',
        region: 'eu-west-1',
        account: '123456789012',
        targets: ['123456789012/eu-west-1'],
      },
      {
        id: 'taegis-migrate/credentials',
        region: 'us-west-2',
        account: '222222222222',
        targets: ['222222222222/us-west-2'],
      },
    ]);
    expect(dynamicReference({ arn })).toBe(`{{resolve:secretsmanager:${arn}:SecretString:::}}`);
  });

  it('GIVEN both name and arn, or the vendor secret name THEN the config is rejected', () => {
    expect(
      problemsOf(
        (raw) =>
          (raw.credentialsSecret = { name: 'a', arn: 'arn:aws:secretsmanager:us-east-1:999999999999:secret:x-AbCdEf' }),
      ),
    ).toEqual(['credentialsSecret: both "name" and "arn" are set']);
    expect(problemsOf((raw) => (raw.credentialsSecret = { name: 'scwx-tdr-credentials' }))).toEqual([
      'credentialsSecret.name: is the name of the secret the vendor template itself creates',
    ]);
  });
});
