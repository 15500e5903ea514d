import type { NotificationConfiguration } from '@aws-sdk/client-s3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readOnlySessionPolicy } from '../../lib/pipeline/drift-policy.js';
import { driftCommands } from '../../lib/pipeline/drift-stack.js';
import type { VerifyReport } from '../../lib/verify/report.js';
import { isWrite, operationOf, startProxy } from '../support/aws-proxy.js';
import { ROOT } from '../support/example.js';
import { MOTO_ACCOUNT, startMoto, type Moto } from '../support/moto.js';
import { run } from '../support/run.js';
import { getNotifications, putNotifications, seedMixed } from '../support/verify-seed.js';

const E = 'us-east-1';

/**
 * The drift build's own shell lines (TaegisDrift's CodeBuild project), run as CodeBuild would: bash, the AWS CLI
 * assuming the verify role with the read-only session policy, `npm run verify -- --check` with those credentials.
 * moto takes the session policy but does not enforce it: the proxy counts what reaches AWS.
 */
describe('the TaegisDrift build commands against moto (aws CLI + npm run verify --check)', () => {
  let moto: Moto;
  let dir: string;
  let configPath: string;

  beforeAll(async () => {
    moto = await startMoto();
    dir = mkdtempSync(path.join(tmpdir(), 'taegis-drift-build-'));
    ({ configPath } = await seedMixed(moto.clients(), dir));
    // vpc's trigger as the config states it: once its entry is gone, there is no old entry left to take it from.
    const raw = JSON.parse(readFileSync(configPath, 'utf8')) as {
      regions: { lambdaStacks: { stackName: string; trigger?: unknown }[] }[];
    };
    raw.regions[0]!.lambdaStacks[1]!.trigger = { events: ['s3:ObjectCreated:*'], prefix: 'vpcflow/' };
    writeFileSync(configPath, JSON.stringify(raw));
    // A repository checkout of its own: `npm run verify` there runs this project's program.
    writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({
        name: 'drift-build',
        private: true,
        scripts: { verify: `node ${ROOT}/bin/taegis-migrate.mjs verify` },
      }),
    );
  });
  afterAll(async () => {
    await moto.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function build(): Promise<{
    code: number | null;
    out: string;
    writes: string[];
    ops: string[];
    assumeRole: string[];
  }> {
    const proxy = await startProxy(moto.endpoint, {});
    try {
      const script = driftCommands(path.basename(configPath), [MOTO_ACCOUNT], 'aws', 'taegis-migrate-verify', '24h');
      const r = await run('bash', ['-c', script.join('\n')], {
        cwd: dir,
        env: {
          PATH: process.env.PATH,
          HOME: dir,
          AWS_ENDPOINT_URL: proxy.endpoint,
          AWS_ACCESS_KEY_ID: 'codebuild-role',
          AWS_SECRET_ACCESS_KEY: 'codebuild-role',
          AWS_DEFAULT_REGION: E,
          AWS_REGION: E,
        },
        timeoutMs: 240_000,
      });
      return {
        code: r.code,
        out: r.stdout + r.stderr,
        writes: proxy.seen.filter(isWrite).map(operationOf),
        ops: proxy.seen.map(operationOf),
        assumeRole: proxy.seen.filter((q) => operationOf(q) === 'AssumeRole').map((q) => q.body.toString()),
      };
    } finally {
      await proxy.stop();
    }
  }

  it('GIVEN a clean verify THEN the build exits 0 with no write request; GIVEN the trigger removed THEN it exits 1, names the drift, and still writes nothing', async () => {
    const first = await run(
      'node',
      [
        path.join(ROOT, 'bin/taegis-migrate.mjs'),
        'verify',
        '--config',
        configPath,
        '--log-timeout',
        '0',
        '--backup-dir',
        path.join(dir, 'backups'),
      ],
      {
        cwd: dir,
        env: {
          ...process.env,
          AWS_ENDPOINT_URL: moto.endpoint,
          AWS_ACCESS_KEY_ID: 'testing',
          AWS_SECRET_ACCESS_KEY: 'testing',
          AWS_REGION: E,
        },
      },
    );
    expect(first.code, first.stdout + first.stderr).toBe(0);

    const clean = await build();
    expect(clean.code, clean.out).toBe(0);
    expect(clean.out).toContain('drift check exit code: 0');
    // The role was assumed (by the AWS CLI) and the check read through it.
    expect(clean.ops).toContain('AssumeRole');
    // ...with the read-only session policy (moto takes it but does not enforce it; AWS does).
    expect(clean.assumeRole).toHaveLength(1);
    const policy = new URLSearchParams(clean.assumeRole[0]).get('Policy');
    expect(JSON.parse(policy!)).toEqual(JSON.parse(readOnlySessionPolicy()));
    expect(new URLSearchParams(clean.assumeRole[0]).get('RoleArn')).toBe(
      `arn:aws:iam::${MOTO_ACCOUNT}:role/taegis-migrate-verify`,
    );
    expect(clean.ops).toContain('GET /logs-east/');
    expect(clean.writes).toEqual([]);
    const report = JSON.parse(
      readFileSync(path.join(dir, `reports/drift-${MOTO_ACCOUNT}.json`), 'utf8'),
    ) as VerifyReport;
    expect(report).toMatchObject({ check: true, exitCode: 0, drifts: [] });
    expect(readFileSync(path.join(dir, `reports/drift-${MOTO_ACCOUNT}.xml`), 'utf8')).toContain('<testsuites');

    // The console's way: the whole configuration put back without the vpc entry; the foreign entries stay.
    const migrated = await getNotifications(moto.clients(), E, 'logs-east');
    const edited: NotificationConfiguration = {
      ...migrated,
      LambdaFunctionConfigurations: migrated.LambdaFunctionConfigurations!.filter(
        (e) => e.Id !== 'taegis-migrate-vpc-scwx-tdr-lambda-awsvpcflow',
      ),
    };
    await putNotifications(moto.clients(), E, 'logs-east', edited);
    const afterConsole = await getNotifications(moto.clients(), E, 'logs-east');

    const drifted = await build();
    expect(drifted.code, drifted.out).toBe(1);
    expect(drifted.out).toContain('drift check exit code: 1');
    expect(drifted.out).toMatch(
      /vpc +trigger +FAIL +drift: would add trigger taegis-migrate-vpc-scwx-tdr-lambda-awsvpcflow/,
    );
    expect(drifted.out).toContain(
      `fix: taegis-migrate verify --config taegis.config.json --account ${MOTO_ACCOUNT} --region ${E} --stack vpc`,
    );
    expect(drifted.writes).toEqual([]);
    expect(await getNotifications(moto.clients(), E, 'logs-east')).toEqual(afterConsole);
  });
});
