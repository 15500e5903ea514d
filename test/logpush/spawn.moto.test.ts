import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/example.js';
import { FakeCloudflare } from '../support/fake-cloudflare.js';
import { runTaegisMigrate, type RunResult } from '../support/run.js';
import { ACCOUNT, DNS_KEY, HTTP_KEY, TOKEN, writeConfig, ZONE } from './helpers.js';

const SECRETS = [TOKEN, HTTP_KEY, encodeURIComponent(HTTP_KEY), DNS_KEY];

/** Runs `taegis-migrate logpush` in a child process, as a user or a CI step does. */
function runScript(args: readonly string[], env: NodeJS.ProcessEnv): Promise<RunResult> {
  const argv = ['logpush', ...args];
  // Secrets travel in the environment and files only: never on a command line that `ps` shows.
  for (const s of SECRETS) expect(argv.join(' ')).not.toContain(s);
  return runTaegisMigrate(argv, { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } });
}

describe('taegis-migrate logpush in a child process', () => {
  let fake: FakeCloudflare;
  let dir: string;
  let configPath: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    fake = await FakeCloudflare.start({ tokens: { [TOKEN]: 'write' }, accounts: [ACCOUNT], zones: [ZONE] });
    ({ dir, configPath } = writeConfig());
    // The token comes from a file this time, the DNS key from the environment, the HTTP key from a file.
    writeFileSync(path.join(dir, 'cf.token'), `${TOKEN}\n`, { mode: 0o600 });
    const base = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(
      path.join(dir, 'with-token.json'),
      JSON.stringify({ auth: { apiToken: { file: 'cf.token' } }, ...base }),
    );
    env = { TAEGIS_DNS_KEY: DNS_KEY, CLOUDFLARE_API_BASE_URL: fake.baseUrl };
  });
  afterAll(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('GIVEN a fresh account WHEN setup, then health, then a bad config THEN exit 0, 1, 2 and no secret in any output', async () => {
    const setup = await runScript(['setup', '--config', path.join(dir, 'with-token.json')], env);
    expect(setup.stderr).toBe('');
    expect(setup.code).toBe(0);
    expect(setup.stdout).toMatch(/created job \d+: account/);
    expect(fake.allJobs()).toHaveLength(2);
    expect(fake.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);

    const health = await runScript(['health', '--json', '--config', path.join(dir, 'with-token.json')], env);
    expect(health.code).toBe(1);
    const report = JSON.parse(health.stdout) as { ok: boolean; jobs: { problem: string }[] };
    expect(report.ok).toBe(false);
    expect(report.jobs[0]?.problem).toMatch(/^pushed nothing between/);

    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ zones: [{ id: ZONE, datasets: [] }] }));
    const bad = await runScript(['status', '--config', path.join(dir, 'bad.json')], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error CONFIG_INVALID');
    expect(bad.stderr).toContain('zones[0].datasets: lists no dataset');

    fake.unreachableDestination = /ingest-0001/;
    fake.jobs.get(`zones/${ZONE}`)?.splice(0);
    const failing = await runScript(['setup', '--config', path.join(dir, 'with-token.json')], env);
    expect(failing.code).toBe(1);
    expect(failing.stderr).toContain('header_Authorization=****');

    for (const out of [setup, health, bad, failing]) {
      for (const s of SECRETS) {
        expect(out.stdout).not.toContain(s);
        expect(out.stderr).not.toContain(s);
      }
    }
  });
});
