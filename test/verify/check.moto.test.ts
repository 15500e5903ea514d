import type { NotificationConfiguration } from '@aws-sdk/client-s3';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../lib/aws/clients.js';
import type { VerifyReport } from '../../lib/verify/report.js';
import { verifyMain } from '../../lib/commands/verify.js';
import { isWrite, operationOf, startProxy } from '../support/aws-proxy.js';
import { MOTO_ACCOUNT, MOTO_CREDENTIALS, startMoto, type Moto } from '../support/moto.js';
import { getNotifications, putNotifications, seedMixed } from '../support/verify-seed.js';

const E = 'us-east-1';

describe('verify --check on moto: read-only drift check, counted at the wire', () => {
  let moto: Moto;
  let dir: string;
  let configPath: string;
  let proxy: Awaited<ReturnType<typeof startProxy>> | undefined;

  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto.stop();
  });
  beforeEach(async () => {
    await moto.reset();
    dir = mkdtempSync(path.join(tmpdir(), 'verify-check-'));
    ({ configPath } = await seedMixed(moto.clients(), dir));
  });
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
  });

  async function verify(extra: string[], through?: 'proxy'): Promise<{ code: number; out: string }> {
    let endpoint = moto.endpoint;
    if (through === 'proxy') {
      await proxy?.stop();
      proxy = await startProxy(moto.endpoint, {});
      endpoint = proxy.endpoint;
    }
    const clients = new AwsClientFactory({ endpoint, credentials: MOTO_CREDENTIALS });
    const out: string[] = [];
    try {
      const code = await verifyMain(
        ['--config', configPath, '--backup-dir', path.join(dir, 'backups'), '--concurrency', '4', ...extra],
        { clients, stdout: (t) => out.push(t), stderr: () => undefined, tty: false },
      );
      return { code, out: out.join('\n') };
    } finally {
      clients.destroy();
    }
  }

  it('GIVEN a clean verify WHEN verify --check runs THEN exit 0, the report says so, and not one write request reached AWS (nor a backup file)', async () => {
    const first = await verify(['--log-timeout', '0']);
    expect(first.code, first.out).toBe(0);

    const json = path.join(dir, 'check.json');
    const r = await verify(['--check', '--backup-dir', path.join(dir, 'check-backups'), '--json', json], 'proxy');
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('(check: read-only, nothing was written)');
    const seen = proxy!.seen;
    // The check did read the buckets, functions, stacks and logs (so counting would have seen a write).
    expect(seen.map(operationOf)).toEqual(
      expect.arrayContaining([
        'GET /logs-east/',
        'DescribeStacks',
        'FilterLogEvents',
        expect.stringMatching(/^GET \/2015-03-31\/functions\//),
      ]),
    );
    expect(seen.filter(isWrite).map(operationOf)).toEqual([]);
    expect(existsSync(path.join(dir, 'check-backups'))).toBe(false);
    const report = JSON.parse(readFileSync(json, 'utf8')) as VerifyReport;
    expect(report).toMatchObject({ check: true, dryRun: true, exitCode: 0, drifts: [] });
  });

  it("GIVEN the ct trigger removed in the console's way (the whole configuration put back without it) and a foreign entry left as is WHEN verify --check runs THEN exit 1, the drift and its fix are named, and still nothing is written; the fix command puts it back", async () => {
    // The trigger as the config states it: once the entry is gone, there is no old entry left to take it from.
    const raw = JSON.parse(readFileSync(configPath, 'utf8')) as {
      regions: { lambdaStacks: { stackName: string; trigger?: unknown }[] }[];
    };
    raw.regions[0]!.lambdaStacks[0]!.trigger = {
      events: ['s3:ObjectCreated:Put', 's3:ObjectCreated:CompleteMultipartUpload'],
      prefix: 'AWSLogs/',
    };
    writeFileSync(configPath, JSON.stringify(raw));
    expect((await verify(['--log-timeout', '0'])).code).toBe(0);
    const migrated = await getNotifications(moto.clients(), E, 'logs-east');
    // The console reads the configuration, drops the deleted entry and puts the rest back.
    const edited: NotificationConfiguration = {
      ...migrated,
      LambdaFunctionConfigurations: migrated.LambdaFunctionConfigurations!.filter(
        (e) => e.Id !== 'taegis-migrate-ct-scwx-tdr-lambda-awscloudtrail',
      ),
    };
    expect(edited.LambdaFunctionConfigurations!.length).toBe(migrated.LambdaFunctionConfigurations!.length - 1);
    await putNotifications(moto.clients(), E, 'logs-east', edited);
    const afterConsole = await getNotifications(moto.clients(), E, 'logs-east');

    const json = path.join(dir, 'drift.json');
    const junit = path.join(dir, 'drift.xml');
    const r = await verify(['--check', '--json', json, '--junit', junit], 'proxy');
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(
      /ct +trigger +FAIL +drift: would add trigger taegis-migrate-ct-scwx-tdr-lambda-awscloudtrail/,
    );
    expect(r.out).toContain('DRIFT (1):');
    const fix = `taegis-migrate verify --config ${configPath} --account ${MOTO_ACCOUNT} --region ${E} --stack ct`;
    expect(r.out).toContain(`fix: ${fix}`);
    // vpc's trigger and the foreign entries are as they were: no drift for them.
    expect(r.out).toMatch(/vpc +trigger +PASS/);
    const report = JSON.parse(readFileSync(json, 'utf8')) as VerifyReport;
    expect(report.drifts).toEqual([
      { region: E, stackName: 'ct', check: 'trigger', detail: expect.stringMatching(/^drift: /) as string, fix },
    ]);
    expect(readFileSync(junit, 'utf8')).toContain(`fix: ${fix}`);
    expect(proxy!.seen.filter(isWrite).map(operationOf)).toEqual([]);
    expect(await getNotifications(moto.clients(), E, 'logs-east')).toEqual(afterConsole);
    expect(afterConsole.LambdaFunctionConfigurations!.map((e) => e.Id)).toContain('foreign-indexer');

    // The named fix (verify without --check) does write, and the counter sees it: the check's zero is real.
    const fixed = await verify(['--log-timeout', '0', '--stack', 'ct', '--region', E], 'proxy');
    expect(fixed.code, fixed.out).toBe(0);
    expect(proxy!.seen.filter(isWrite).map(operationOf)).toContain('PUT /logs-east/');
    const byId = (c: NotificationConfiguration) =>
      [...(c.LambdaFunctionConfigurations ?? [])].sort((a, b) => a.Id!.localeCompare(b.Id!));
    // Back as it was (the entry is appended at the end: compared by id).
    expect(byId(await getNotifications(moto.clients(), E, 'logs-east'))).toEqual(byId(migrated));
    expect((await verify(['--check'], 'proxy')).code).toBe(0);
  });

  it('GIVEN no success line within the window WHEN verify --check --since 1s runs THEN the logs check is drift (exit 1) and nothing is written', async () => {
    expect((await verify(['--log-timeout', '0'])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 1500));
    const r = await verify(['--check', '--since', '1s'], 'proxy');
    expect(r.code, r.out).toBe(1);
    expect(r.out).toMatch(
      /ct +logs +FAIL +drift: no "Uploading data to s3" in \/aws\/lambda\/ct-scwx-tdr-lambda-awscloudtrail/,
    );
    expect(r.out).toMatch(/fix: check that new objects reach the bucket/);
    expect(proxy!.seen.filter(isWrite).map(operationOf)).toEqual([]);
  });
});
