import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { NotificationConfiguration as Notifs } from '@aws-sdk/client-s3';
import { listFiles } from '../support/files.js';
import { runTaegisMigrate } from '../support/run.js';

const ROOT = path.join(import.meta.dirname, '..', '..');
const SECRET_MARKER = 'SYNTHETIC-EXAMPLE-CLIENT-SECRET-0000';

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('taegis-migrate demo: the whole migration on an emulator, in one command', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'taegis-demo-test-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('GIVEN a machine with moto and no AWS account WHEN taegis-migrate demo runs THEN every step passes, triggers move, foreign entries stay, and moto is stopped', async () => {
    const dir = path.join(work, 'run');
    const res = await runTaegisMigrate(['demo', '--dir', dir, '--log-timeout', '20'], {
      cwd: ROOT,
      env: { ...process.env, AWS_ENDPOINT_URL: undefined, AWS_PROFILE: undefined },
      timeoutMs: 400_000,
    });
    const output = `${res.stdout}\n${res.stderr}`;
    expect(res.code, output).toBe(0);
    for (const step of ['Discover', 'Synthesize', 'Bootstrap', 'Plan', 'Deploy', 'Verify'])
      expect(output).toMatch(new RegExp(`\\d+\\. ok +${step}`));
    // What only the emulator needs is said, not hidden.
    expect(output).toContain('done for you: moto cannot run');
    expect(output).toContain('moto-only flags');

    // discover wrote the config the rest of the flow used: both regions, all three console-made stacks.
    const config = JSON.parse(readFileSync(path.join(dir, 'taegis.config.json'), 'utf8')) as {
      regions: { region: string; lambdaStacks: { stackName: string }[] }[];
    };
    expect(config.regions.flatMap((r) => r.lambdaStacks.map((s) => `${r.region}/${s.stackName}`)).sort()).toEqual([
      'eu-west-1/lab-waf-lambda',
      'us-east-1/lab-alb-lambda',
      'us-east-1/lab-cloudtrail-lambda',
    ]);

    // verify's own report: every stack passed, stale entries removed, the foreign queue kept.
    const report = readFileSync(path.join(dir, 'verify.json'), 'utf8');
    const parsed = JSON.parse(report) as {
      exitCode: number;
      dryRun: boolean;
      summary: { fail: number; pass: number };
      regions: {
        buckets: { bucket: string; outcome: string; before?: Notifs; after?: Notifs; backupFile?: string }[];
      }[];
    };
    expect(parsed).toMatchObject({ exitCode: 0, dryRun: false, summary: { fail: 0 } });
    expect(parsed.summary.pass).toBeGreaterThanOrEqual(9);
    // Every log bucket: the foreign queue entry is the same object after as before, the stale Taegis entry is gone,
    // exactly one trigger now points at the migrated function (unqualified), and a backup was written.
    const buckets = parsed.regions.flatMap((r) => r.buckets);
    expect(buckets.map((b) => b.bucket).sort()).toEqual(['demo-alb-logs', 'demo-cloudtrail-logs', 'demo-waf-logs']);
    for (const b of buckets) {
      expect(b.after?.QueueConfigurations).toEqual(b.before?.QueueConfigurations);
      expect(b.after?.QueueConfigurations?.[0]?.Id).toBe('siem-queue');
      const staleIds = (b.before?.LambdaFunctionConfigurations ?? []).map((e) => e.Id);
      expect(staleIds.some((id) => id === 'console-trigger' || id === 'old-taegis-function')).toBe(true);
      const after = b.after?.LambdaFunctionConfigurations ?? [];
      expect(after).toHaveLength(1);
      expect(after[0]?.LambdaFunctionArn).toMatch(/:function:lab-[a-z]+-lambda-scwx-tdr-lambda-aws[a-z]+$/);
      expect(b.backupFile && readFileSync(b.backupFile, 'utf8')).toContain('siem-queue');
    }
    expect(readFileSync(path.join(dir, 'verify.xml'), 'utf8')).toContain('<testsuite');

    // The emulator was stopped by its PID.
    const pid = Number(/emulator stopped \(pid (\d+)\)/.exec(res.stdout)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(isAlive(pid)).toBe(false);

    // The credentials' content is in no output and no file the demo wrote, except the copied credentials.txt itself.
    expect(output).not.toContain(SECRET_MARKER);
    const leaks = listFiles(dir).filter(
      (f) => !f.endsWith(`${path.sep}credentials.txt`) && readFileSync(f).includes(SECRET_MARKER),
    );
    expect(leaks).toEqual([]);
  }, 420_000);

  it('GIVEN a --dir that is not empty WHEN taegis-migrate demo runs THEN it exits 2 before starting the emulator', async () => {
    const dir = path.join(work, 'busy');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'keep.txt'), 'mine');
    const res = await runTaegisMigrate(['demo', '--dir', dir], { cwd: ROOT, env: process.env });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--dir');
    expect(res.stdout).not.toContain('emulator:');
    expect(readFileSync(path.join(dir, 'keep.txt'), 'utf8')).toBe('mine');
  }, 60_000);

  it('GIVEN --log-timeout that is not a number WHEN taegis-migrate demo runs THEN it exits 2 naming the flag', async () => {
    const res = await runTaegisMigrate(['demo', '--log-timeout', 'soon'], {
      cwd: ROOT,
      env: process.env,
    });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--log-timeout');
    expect(res.stdout).not.toContain('emulator:');
  }, 60_000);
});
