import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { GetFunctionConfigurationCommand, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discoverMain } from '../../lib/commands/discover.js';
import type { DiscoverReport } from '../../lib/discover/discover.js';
import { verifyMain } from '../../lib/commands/verify.js';
import type { VerifyReport } from '../../lib/verify/report.js';
import { EXAMPLE_DIR } from '../support/example.js';
import { MOTO_ACCOUNT } from '../support/moto.js';
import { useMoto } from '../support/use-moto.js';
import { createBucket, createLambdaStack, putLogLines } from '../support/verify-seed.js';

const E = 'us-east-1';
const ZIP = path.join(EXAMPLE_DIR, 'taegis-lambda-amd64.zip');

describe('GIVEN a function and the vendor zip the config stages', () => {
  const moto = useMoto();
  let dir: string;
  let config: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'verify-package-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function verify(): Promise<{ code: number; report: VerifyReport; out: string; junit: string }> {
    const json = path.join(dir, `r-${Math.random()}.json`);
    const junit = path.join(dir, `j-${Math.random()}.xml`);
    const out: string[] = [];
    const code = await verifyMain(
      ['--config', config, '--backup-dir', path.join(dir, 'b'), '--json', json, '--junit', junit, '--log-timeout', '2'],
      {
        clients: moto().clients(),
        stdout: (t) => out.push(t),
        stderr: (t) => out.push(t),
        pollIntervalMs: 100,
        tty: false,
      },
    );
    return {
      code,
      out: out.join('\n'),
      report: JSON.parse(readFileSync(json, 'utf8')) as VerifyReport,
      junit: readFileSync(junit, 'utf8'),
    };
  }

  async function discoverPackage(): Promise<{
    table: string;
    stack: DiscoverReport['regions'][number]['lambdaStacks'][number];
  }> {
    const out: string[] = [];
    const json = path.join(dir, `d-${Math.random()}.json`);
    const code = await discoverMain(['--region', E, '--vendor-zip', ZIP, '--json', json], {
      clients: moto().clients(),
      out: (t) => out.push(t),
      env: {},
    });
    expect(code, out.join('\n')).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as DiscoverReport;
    return { table: out.join('\n'), stack: report.regions[0]!.lambdaStacks.find((s) => s.stackName === 'ct')! };
  }

  it('WHEN the function still runs another package THEN "package stale" fails verify and its trigger is not moved; once it runs the zip from S3, moto reports the zip\'s base64 SHA-256 and the package is current', async () => {
    const c = moto().clients();
    await createBucket(c, E, 'logs-pkg');
    const fn = await createLambdaStack(c, E, 'ct', 'logs-pkg');
    await putLogLines(c, E, fn, ['Uploading data to s3 ok']);
    config = path.join(dir, 'taegis.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        taegisRegion: 'ctpx',
        artifactsDir: EXAMPLE_DIR,
        regions: [
          {
            region: E,
            account: MOTO_ACCOUNT,
            lambdaStacks: [{ stackName: 'ct', integrationType: 'awscloudtrail', notificationBucket: 'logs-pkg' }],
          },
        ],
      }),
    );
    const want = createHash('sha256').update(readFileSync(ZIP)).digest('base64');

    const stale = await verify();
    expect(stale.code, stale.out).toBe(1);
    const checks = stale.report.regions[0]!.stacks[0]!.checks;
    const pkg = checks.find((x) => x.name === 'package')!;
    expect(pkg.status).toBe('fail');
    expect(pkg.detail).toMatch(/^package stale: CodeSha256 \S+ is not the hash of .*taegis-lambda-amd64\.zip/);
    expect(pkg.detail).toContain(want);
    expect(checks.find((x) => x.name === 'trigger')!.status).toBe('skip');
    expect(stale.out).toMatch(/package\s+FAIL\s+package stale/);
    expect(stale.junit).toContain('name="package"');

    const before = await discoverPackage();
    expect(before.stack).toMatchObject({ package: 'stale' });
    expect(before.table).toMatch(/package stale/);

    // The vendor zip deployed from S3, as the staging bucket holds it.
    await createBucket(c, E, 'staging-pkg');
    await c.s3(E).send(new PutObjectCommand({ Bucket: 'staging-pkg', Key: 'z.zip', Body: readFileSync(ZIP) }));
    await c
      .lambda(E)
      .send(new UpdateFunctionCodeCommand({ FunctionName: fn, S3Bucket: 'staging-pkg', S3Key: 'z.zip' }));
    const reported = await c.lambda(E).send(new GetFunctionConfigurationCommand({ FunctionName: fn }));
    expect(reported.CodeSha256).toBe(want);

    const current = await verify();
    expect(current.code, current.out).toBe(0);
    expect(current.report.regions[0]!.stacks[0]!.checks.find((x) => x.name === 'package')).toMatchObject({
      status: 'pass',
      detail: `package current (CodeSha256 ${want})`,
    });
    const after = await discoverPackage();
    expect(after.stack).toMatchObject({ package: 'current', codeSha256: want });
    expect(after.table).toMatch(/package current/);
  }, 180_000);
});
