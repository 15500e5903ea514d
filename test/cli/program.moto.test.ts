import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { programMain } from '../../lib/commands/index.js';
import { reportError } from '../../lib/util/errors.js';
import { EXAMPLE_CONFIG, ROOT } from '../support/example.js';
import { countingEndpoint } from '../support/counting-endpoint.js';
import { freePort } from '../support/moto.js';
import { run, type RunResult } from '../support/run.js';

const BIN = path.join(ROOT, 'bin', 'taegis-migrate.mjs');
const COMMANDS = ['discover', 'synth', 'plan', 'deploy', 'verify', 'restore', 'replay', 'backfill', 'logpush'] as const;

/** An environment with usable dummy credentials and nothing pointing at a real AWS account. */
function baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: '1',
    ...extra,
  };
  // The program must keep the SDK's Node-version notice away itself, not because a test switched it off.
  delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
  delete env.AWS_PROFILE;
  delete env.AWS_SESSION_TOKEN;
  return env;
}

/** Runs the real program the way package.json's bin does. */
function program(args: readonly string[], env = baseEnv(), cwd = ROOT, timeoutMs = 120_000): Promise<RunResult> {
  return run(process.execPath, [BIN, ...args], { cwd, env, timeoutMs });
}

/**
 * Runs the program's dispatch (what the bin calls) in this process, with its output captured and the error mapped to
 * the exit code as the CLI's single catch does. `cwd` is where relative paths (./backups) land; `endpoint` is
 * AWS_ENDPOINT_URL for the call, so any AWS request it made would reach the counting endpoint.
 */
async function inProcess(args: readonly string[], endpoint: string, cwd?: string): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((stdout += String(c)), true)),
    vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((stderr += String(c)), true)),
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void (stdout += `${a.join(' ')}\n`)),
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void (stderr += `${a.join(' ')}\n`)),
    vi.spyOn(console, 'warn').mockImplementation((...a: unknown[]) => void (stderr += `${a.join(' ')}\n`)),
  ];
  const home = process.cwd();
  const savedEndpoint = process.env.AWS_ENDPOINT_URL;
  process.env.AWS_ENDPOINT_URL = endpoint;
  if (cwd) process.chdir(cwd);
  try {
    const code = await programMain(args).catch((err: unknown) => reportError(err));
    return { code, stdout, stderr };
  } finally {
    if (cwd) process.chdir(home);
    if (savedEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL;
    else process.env.AWS_ENDPOINT_URL = savedEndpoint;
    for (const spy of spies) spy.mockRestore();
  }
}

describe('the taegis-migrate program (spawned as users run it)', () => {
  let endpoint: Awaited<ReturnType<typeof countingEndpoint>>;
  let work: string;
  beforeAll(async () => {
    endpoint = await countingEndpoint();
    work = mkdtempSync(path.join(tmpdir(), 'taegis-program-'));
  });
  afterAll(async () => {
    await endpoint.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('GIVEN --help and -h WHEN run on the program THEN every command is listed, with the common flags; --version prints package.json version', async () => {
    for (const flag of ['--help', '-h']) {
      const r = await program([flag]);
      expect(r.code, r.stderr).toBe(0);
      for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
      for (const f of ['--config', '--region', '--profile', '--endpoint-url', '--json']) expect(r.stdout).toContain(f);
    }
    const v = await program(['--version']);
    expect(v.code).toBe(0);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(v.stdout.trim()).toBe(pkg.version);
  }, 120_000);

  it('GIVEN each command and subcommand WHEN run with --help or -h THEN its own usage, exit 0, nothing called', async () => {
    const cases: string[][] = [
      ...COMMANDS.map((c) => [c, '--help']),
      ['deploy', '-h'],
      ['logpush', 'status', '-h'],
      ['verify', 'restore', '-h'],
    ];
    // Every case through the program's own dispatch in this process; two of them also as spawned processes, which
    // load the command module through the bin as users run it (one spawn per case would cost a second each).
    for (const args of cases) {
      const r = await inProcess(args, endpoint.url);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout, args.join(' ')).toContain(`usage: taegis-migrate ${args[0]}`);
    }
    for (const args of [
      ['deploy', '-h'],
      ['verify', 'restore', '-h'],
    ]) {
      const r = await program(args, baseEnv({ AWS_ENDPOINT_URL: endpoint.url }));
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout, args.join(' ')).toContain(`usage: taegis-migrate ${args[0]}`);
    }
    expect(endpoint.count()).toBe(0);
  }, 300_000);

  it('GIVEN the project folder WHEN "npx taegis-migrate --help" runs THEN npx finds the package\'s own bin and lists the commands', async () => {
    const r = await run('npx', ['taegis-migrate', '--help'], { cwd: ROOT, env: baseEnv(), timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toContain(`  ${c} `);
  }, 120_000);

  it('GIVEN an unknown command, a flag before the command or a negative number THEN exit 2 with the error format', async () => {
    const r = await program(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error INPUT_INVALID: unknown command "frobnicate"\nfix: /m);
    const f = await program(['--region', 'us-east-1', 'discover']);
    expect(f.code).toBe(2);
    expect(f.stderr).toContain('flags go after the command');
    // A negative number is read as the flag's value and checked against its bounds, not refused as "ambiguous".
    const n = await program(['verify', '--log-timeout', '-5']);
    expect(n.code).toBe(2);
    expect(n.stderr).toContain(
      '--log-timeout: "-5" is not a whole number from 0 to 86400 (fix: pass e.g. --log-timeout 300)',
    );
  }, 60_000);

  it('GIVEN a config that does not exist WHEN "taegis-migrate synth" runs THEN exit 2 (npx cdk synth reports the same app failure as 1)', async () => {
    const missing = path.join(work, 'none.json');
    const r = await program(['synth', '--config', missing, '--output', path.join(work, 'cdk.out')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error CONFIG_NOT_FOUND');
    const cdk = await run('npx', ['cdk', 'synth', '-c', `config=${missing}`, '--output', path.join(work, 'cdk2.out')], {
      cwd: ROOT,
      env: baseEnv(),
    });
    // The CDK CLI wraps the app's exit code: documented in README; our own synth keeps 2.
    expect(cdk.code).toBe(1);
    expect(cdk.stderr).toContain('error CONFIG_NOT_FOUND');
  }, 180_000);

  it('GIVEN the example config WHEN "taegis-migrate synth" runs THEN every stack is written, with its region, and one cdk-nag warning per vendor template', async () => {
    const out = path.join(work, 'synth.out');
    const r = await program(['synth', '-c', `config=${EXAMPLE_CONFIG}`, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^TaegisShared-eu-west-1 +\S+ +eu-west-1$/m);
    expect(r.stdout).toMatch(/synthesized 7 stacks to /);
    // 3 Lambda stacks and 2 shared stacks, two vendor templates: two warnings, not five.
    expect(r.stderr.match(/cdk-nag AwsSolutions found/g)).toHaveLength(2);
    expect(r.stderr).toContain('all 3 stacks built from it, listed once');
    expect(r.stderr).not.toMatch(/\b1 warnings\b|\b1 issues\b|\b1 errors\b/);
  }, 120_000);

  it('GIVEN an endpoint nothing listens on WHEN discover, plan, deploy or verify runs THEN exit 2 at once, naming the endpoint', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    for (const args of [
      ['discover', '--region', 'us-east-1'],
      ['plan', '--config', EXAMPLE_CONFIG],
      ['deploy', '--config', EXAMPLE_CONFIG, '--stack', 'TaegisShared-us-east-1', '--exclusively'],
      ['verify', '--config', EXAMPLE_CONFIG, '--dry-run'],
    ]) {
      const started = Date.now();
      const r = await program([...args, '--endpoint-url', url], baseEnv(), work);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`error ENDPOINT_UNREACHABLE: the AWS endpoint ${url} cannot be reached`);
      expect(r.stderr).not.toContain('UNEXPECTED');
      expect(Date.now() - started, args[0]).toBeLessThan(60_000);
    }
  }, 300_000);

  it('GIVEN no credentials anywhere WHEN discover, plan or deploy runs THEN exit 2 CREDENTIALS_MISSING and no request', async () => {
    const noCreds = baseEnv({
      AWS_ACCESS_KEY_ID: '',
      AWS_SECRET_ACCESS_KEY: '',
      AWS_SHARED_CREDENTIALS_FILE: path.join(work, 'none'),
      AWS_CONFIG_FILE: path.join(work, 'none'),
      AWS_CONTAINER_CREDENTIALS_FULL_URI: '',
      AWS_ENDPOINT_URL: endpoint.url,
    });
    const before = endpoint.count();
    for (const args of [
      ['discover', '--region', 'us-east-1'],
      ['plan', '--config', EXAMPLE_CONFIG],
      ['deploy', '--config', EXAMPLE_CONFIG, '--stack', 'TaegisShared-us-east-1', '--exclusively'],
    ]) {
      const r = await program(args, noCreds, work);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain('error CREDENTIALS_MISSING');
      // The SDK's Node-version notice is not for our users.
      expect(r.stderr).not.toContain('NodeVersionSupportWarning');
    }
    expect(endpoint.count()).toBe(before);
  }, 300_000);

  it('GIVEN an impossible or unusable output path WHEN any command runs THEN exit 2 quickly, before any AWS call, and nothing is created', async () => {
    const before = endpoint.count();
    const cases: string[][] = [
      ['verify', '--config', EXAMPLE_CONFIG, '--json', '/proc/x/y.json'],
      ['verify', '--config', EXAMPLE_CONFIG, '--junit', '/sys/taegis/r.xml'],
      ['plan', '--config', EXAMPLE_CONFIG, '--json', '/proc/x/y.json'],
      ['discover', '--region', 'us-east-1', '--json', '/proc/x/y.json'],
      ['deploy', '--config', EXAMPLE_CONFIG, '--output', '/proc/x/out'],
      ['logpush', 'status', '--json', '/proc/x/y.json'],
      ['synth', '--config', EXAMPLE_CONFIG, '--output', '/proc/x/out'],
    ];
    const check = (args: readonly string[], r: RunResult, started: number) => {
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/cannot be (created|written|used)|under \/(proc|sys)/);
      expect(Date.now() - started, args.join(' ')).toBeLessThan(45_000);
    };
    // Every case in this process (the counting endpoint must see no request); two as spawned processes.
    for (const args of cases) {
      const started = Date.now();
      check(args, await inProcess(args, endpoint.url, work), started);
    }
    const env = baseEnv({ AWS_ENDPOINT_URL: endpoint.url });
    for (const args of [cases[0]!, cases[4]!]) {
      const started = Date.now();
      check(args, await program(args, env, work, 60_000), started);
    }
    expect(endpoint.count()).toBe(before);
    // verify validated its input before making its backup folder: none in the working folder.
    expect(existsSync(path.join(work, 'backups'))).toBe(false);
  }, 400_000);

  it('GIVEN bad input to verify WHEN it stops THEN ./backups was not created', async () => {
    const r = await program(['verify', '--config', EXAMPLE_CONFIG, '--since', 'yesterday'], baseEnv(), work);
    expect(r.code).toBe(2);
    expect(existsSync(path.join(work, 'backups'))).toBe(false);
  }, 60_000);

  it('GIVEN deploy with a --stack that matches nothing, or a bad --require-approval THEN exit 2 with the fix, no request', async () => {
    const env = baseEnv({ AWS_ENDPOINT_URL: endpoint.url });
    const before = endpoint.count();
    const r = await program(['deploy', '--config', EXAMPLE_CONFIG, '--stack', 'NoSuchStack-*'], env, work);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^error INPUT_INVALID: --stack NoSuchStack-\*/m);
    expect(r.stderr).toContain('TaegisShared-us-east-1');
    expect(r.stderr).not.toContain('UNEXPECTED');
    const a = await program(['deploy', '--config', EXAMPLE_CONFIG, '--require-approval', 'sometimes'], env, work);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain('--require-approval: "sometimes" is not one of never, any-change, broadening');
    expect(endpoint.count()).toBe(before);
  }, 120_000);

  it('GIVEN a command waiting on AWS WHEN it gets SIGINT (Ctrl-C) THEN it stops at once with one line and exit 130', async () => {
    // An endpoint that accepts connections and never answers: the command is stuck in its first AWS call.
    const sockets: Socket[] = [];
    let connections = 0;
    const hang: TcpServer = createTcpServer((s) => {
      connections += 1;
      sockets.push(s);
    });
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(hang.address() as { port: number }).port}`;
    try {
      const child = spawn(process.execPath, [BIN, 'discover', '--region', 'us-east-1', '--endpoint-url', url], {
        cwd: work,
        env: baseEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
      // The first connection is the reachability probe; the second is the first AWS request, now hanging.
      const deadline = Date.now() + 60_000;
      while (connections < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(connections).toBeGreaterThanOrEqual(2);
      const sent = Date.now();
      child.kill('SIGINT');
      const code = await exited;
      expect(code).toBe(130);
      expect(Date.now() - sent).toBeLessThan(5000);
      expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error INTERRUPTED: stopped by SIGINT/)]);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => hang.close(r));
    }
  }, 120_000);
});
