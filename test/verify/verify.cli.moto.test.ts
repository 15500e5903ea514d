import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsClientFactory } from '../../lib/aws/clients.js';
import { reportError } from '../../lib/util/errors.js';
import { parseSince, verifyMain } from '../../lib/commands/verify.js';
import type { VerifyReport } from '../../lib/verify/report.js';
import { startProxy } from '../support/aws-proxy.js';
import { MOTO_CREDENTIALS, startMoto, type Moto } from '../support/moto.js';
import { getNotifications, seedMixed } from '../support/verify-seed.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'taegis-migrate.mjs');

function runScript(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'verify', ...args], { env, cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('taegis-migrate verify as CI runs it (child process, exit codes)', () => {
  let moto: Moto;
  let dir: string;
  let configPath: string;
  let seen: () => number;
  let stopProxy: () => Promise<void>;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    moto = await startMoto();
    dir = mkdtempSync(path.join(tmpdir(), 'verify-cli-'));
    ({ configPath } = await seedMixed(moto.clients(), dir));
    // Counts every request the child makes: exit-2 cases must make none.
    const proxy = await startProxy(moto.endpoint, {});
    seen = () => proxy.seen.length;
    stopProxy = proxy.stop;
    env = { ...moto.env, AWS_ENDPOINT_URL: proxy.endpoint };
  });
  afterAll(async () => {
    await stopProxy();
    await moto.stop();
  });

  it.each([
    ['an unknown flag', ['--bogus']],
    ['a bad --log-timeout', ['--log-timeout', '-5']],
    ['a bad --since', ['--since', 'yesterday']],
    ['an unknown region', ['--region', 'eu-west-9']],
    ['an unknown stack', ['--stack', 'nope']],
    ['a --json path under a file', ['--json', `${path.join(ROOT, 'package.json')}/r.json`]],
    ['a --backup-dir that cannot be created', ['--backup-dir', `${path.join(ROOT, 'package.json')}/backups`]],
  ])(
    'GIVEN %s THEN exit 2, a clear error, and no AWS request (in process, same catch as the script)',
    async (_what, args) => {
      const before = seen();
      const clients = new AwsClientFactory({ endpoint: env.AWS_ENDPOINT_URL, credentials: MOTO_CREDENTIALS });
      const errors: string[] = [];
      const code = await verifyMain(['--config', configPath, '--backup-dir', path.join(dir, 'b'), ...args], {
        clients,
      }).catch((err: unknown) => reportError(err, (l) => errors.push(l)));
      expect(code).toBe(2);
      expect(errors.join('\n')).toMatch(/error (INPUT_INVALID|CONFIG_INVALID)/);
      expect(seen()).toBe(before);
    },
  );

  it('GIVEN an invalid config THEN exit 2 naming the field, and no AWS request', async () => {
    const bad = path.join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({ taegisRegion: 'ctpx', regions: [{ region: 'us-east-1', account: '12', lambdaStacks: [] }] }),
    );
    const before = seen();
    const r = await runScript(['--config', bad], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('regions[0].account');
    expect(seen()).toBe(before);
  });

  it('GIVEN no credentials anywhere THEN exit 2 CREDENTIALS_MISSING before any request', async () => {
    const before = seen();
    const r = await runScript(['--config', configPath], {
      ...env,
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SHARED_CREDENTIALS_FILE: path.join(dir, 'none'),
      AWS_CONFIG_FILE: path.join(dir, 'none'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error CREDENTIALS_MISSING');
    expect(seen()).toBe(before);
  });

  it('GIVEN the seeded account WHEN run like CI (AWS_ENDPOINT_URL, no TTY) THEN exit 0, table on stdout and JSON/JUnit written; a failing stack makes it exit 1', async () => {
    const json = path.join(dir, 'reports', 'r.json'); // folder created by verify, as CI expects
    const junit = path.join(dir, 'r.xml');
    const r = await runScript(
      [
        '--config',
        configPath,
        '--backup-dir',
        path.join(dir, 'b'),
        '--log-timeout',
        '0',
        '--json',
        json,
        '--junit',
        junit,
      ],
      env,
    );
    expect(r.stderr).not.toContain('error ');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/== us-east-1 ==\nSTACK +CHECK +RESULT +DETAIL\n-+ +-+ +-+ +-+\nct +stack +PASS/);
    expect(r.stderr).toContain('waiting for "Uploading data to s3": 3/3 stacks seen');
    const report = JSON.parse(readFileSync(json, 'utf8')) as VerifyReport;
    expect(report.exitCode).toBe(0);
    expect(report.regions.map((x) => x.region)).toEqual(['us-east-1', 'us-west-2']);
    expect(readFileSync(junit, 'utf8')).toContain('<testsuites name="taegis-migrate verify" tests="15" failures="0"');
    expect(
      (await getNotifications(moto.clients(), 'us-east-1', 'logs-east')).LambdaFunctionConfigurations,
    ).toHaveLength(3);

    const failing = await runScript(
      [
        '--config',
        configPath,
        '--backup-dir',
        path.join(dir, 'b'),
        '--log-timeout',
        '0',
        '--expect-runtime',
        'provided.al2023',
      ],
      env,
    );
    expect(failing.code).toBe(1);
    expect(failing.stdout).toMatch(/FAIL: .* 3 failed/);
  });
});

describe('restore input', () => {
  it('GIVEN a file that is not a backup THEN exit 2 and no AWS client is even used', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'verify-restore-'));
    const file = path.join(dir, 'x.json');
    writeFileSync(file, JSON.stringify({ bucket: 'b' }));
    const errors: string[] = [];
    const code = await verifyMain(['restore', '--backup', file], {
      clients: new AwsClientFactory({ endpoint: 'http://127.0.0.1:9', credentials: MOTO_CREDENTIALS, maxAttempts: 1 }),
    }).catch((err: unknown) => reportError(err, (l) => errors.push(l)));
    expect(code).toBe(2);
    expect(errors.join('\n')).toContain('is not a taegis-migrate backup');
    const missing = await verifyMain(['restore']).catch((err: unknown) => reportError(err, () => undefined));
    expect(missing).toBe(2);
  });
});

describe('parseSince', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  it('takes ISO times and durations, and rejects the rest', () => {
    expect(parseSince('2026-11-23T10:00:00Z', now)).toEqual(new Date('2026-11-23T10:00:00Z'));
    expect(parseSince('90m', now)).toEqual(new Date('2026-11-23T10:30:00Z'));
    expect(parseSince('1d', now)).toEqual(new Date('2026-11-22T12:00:00Z'));
    expect(parseSince('soon', now)).toMatch(/neither an ISO time/);
    expect(parseSince('2027-01-01T00:00:00Z', now)).toMatch(/in the future/);
  });
});
