import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyReport } from '../../lib/verify/report.js';
import { startMoto, type Moto } from '../support/moto.js';
import { createLambdaStack, seedMixed } from '../support/verify-seed.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'taegis-migrate.mjs');

describe('Ctrl-C in verify (the program as a process, against moto)', () => {
  let moto: Moto;
  let dir: string;
  let configPath: string;
  beforeAll(async () => {
    moto = await startMoto();
    dir = mkdtempSync(path.join(tmpdir(), 'verify-interrupt-'));
    ({ configPath } = await seedMixed(moto.clients(), dir));
    // A fourth stack whose function never logs the success line: verify waits for it until Ctrl-C.
    await createLambdaStack(moto.clients(), 'us-east-1', 'quiet', 'logs-east', { integration: 'generic' });
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as {
      regions: { lambdaStacks: { stackName: string }[] }[];
    };
    config.regions[0]!.lambdaStacks.push({
      stackName: 'quiet',
      integrationType: 'generic',
      notificationBucket: 'logs-east',
    } as never);
    writeFileSync(configPath, JSON.stringify(config));
  });
  afterAll(async () => {
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('GIVEN verify waiting for logs WHEN it gets SIGINT THEN exit 130, the partial report is written to --json and --junit (done checks kept, the rest interrupted) and the line names verify', async () => {
    const json = path.join(dir, 'out', 'report.json');
    const junit = path.join(dir, 'out', 'report.xml');
    const child = spawn(
      process.execPath,
      [
        BIN,
        'verify',
        '-c',
        configPath,
        '--log-timeout',
        '600',
        '--json',
        json,
        '--junit',
        junit,
        '--backup-dir',
        path.join(dir, 'backups'),
      ],
      { cwd: dir, env: { ...moto.env, AWS_ENDPOINT_URL: moto.endpoint }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    const deadline = Date.now() + 90_000;
    while (!/waiting for "Uploading data to s3": 3\/4 stacks seen/.test(stderr) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(stderr).toMatch(/3\/4 stacks seen/);
    expect(existsSync(json)).toBe(false);
    child.kill('SIGINT');
    expect(await exited).toBe(130);

    const lines = stderr.trim().split('\n');
    expect(lines.at(-1)).toMatch(
      /^error INTERRUPTED: stopped by SIGINT \(Ctrl-C\) before "verify" finished; S3 writes already sent complete in AWS/,
    );
    expect(stderr).not.toContain('a stack deploy');

    const report = JSON.parse(readFileSync(json, 'utf8')) as VerifyReport;
    expect(report.interrupted).toMatch(/SIGINT/);
    expect(report.exitCode).toBe(1);
    const stacks = report.regions.flatMap((r) => r.stacks);
    expect(stacks.map((s) => s.stackName).sort()).toEqual(['ct', 'quiet', 'vpc', 'waf']);
    const logs = (name: string) => stacks.find((s) => s.stackName === name)?.checks.find((c) => c.name === 'logs');
    // Done before Ctrl-C: kept as they were; the stack still waiting: interrupted.
    for (const name of ['ct', 'vpc', 'waf']) expect(['pass', 'warn']).toContain(logs(name)?.status);
    expect(logs('quiet')).toMatchObject({ status: 'interrupted' });
    const quiet = stacks.find((s) => s.stackName === 'quiet')!;
    expect(quiet.checks.find((c) => c.name === 'trigger')?.status).toBe('pass');
    expect(report.summary.interrupted).toBe(1);
    // The buckets' changes made before Ctrl-C are in the report (with their backups).
    expect(report.regions.flatMap((r) => r.buckets).map((b) => b.outcome)).toContain('changed');

    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('<error message="not finished: the run was interrupted (Ctrl-C)" type="interrupted"/>');
    expect(stdout).toContain('INTERRUPTED:');
  }, 180_000);
});
