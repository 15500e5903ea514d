import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { AwsClientFactory } from '../aws/clients.js';
import { onInterrupt } from '../cli/run.js';
import { ExitCode, TaegisError } from '../util/errors.js';
import { MOTO_ACCOUNT, MOTO_CREDENTIALS, motoEnv, spawnMotoServer, type MotoServer } from '../emulator/moto.js';
import { functionLogGroup, SUCCESS_LINE, vendorFunctionName } from '../facts/taegis.js';
import { createBucket, DEMO_REGIONS, seedDemoAccount } from './seed.js';
import { stagingBucketName } from '../config/derived.js';

const ROOT = path.join(import.meta.dirname, '..', '..');
const EXAMPLE = path.join(ROOT, 'assets', 'example');
/** Lines of a passing step's output shown; the whole output is in the step's log file. */
const STEP_TAIL_LINES = 12;
const VENDOR_FILES = [
  'taegis-lambda-amd64.zip',
  'taegis-cloudformation-shared-resources.yaml',
  'taegis-cloudformation-lambda-template.yaml',
] as const;

export interface DemoOptions {
  /** Folder for the config, vendor files, cloud assembly, backups and reports; kept for the user to read. */
  readonly dir: string;
  /** Where the demo's own lines go. */
  readonly out: (line: string) => void;
  /**
   * Seconds verify waits for the success line.
   * @default 60
   */
  readonly logTimeoutSeconds?: number;
}

export interface DemoStep {
  readonly title: string;
  readonly exitCode: number;
  readonly seconds: number;
}

export interface DemoResult {
  readonly exitCode: ExitCode;
  readonly steps: readonly DemoStep[];
  readonly dir: string;
}

/** A fresh folder for the demo's files under the system's temporary folder. */
export function demoDir(): string {
  return mkdtempSync(path.join(tmpdir(), 'taegis-migrate-demo-'));
}

/** The demo's work folder must be new or empty: it writes a config and reports there and never overwrites. */
export function checkDemoDir(dir: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new TaegisError('INPUT_INVALID', `--dir ${dir} is not empty`, {
      fix: 'name a new or empty folder, or leave --dir out for a temporary one',
    });
  }
}

/**
 * The whole migration on an emulator, exactly as a user runs it: moto on a free loopback port, an emulated account
 * seeded with console-made Taegis stacks in two regions, then discover -> synth -> bootstrap -> plan -> deploy ->
 * verify as child processes of the real commands. What only the emulator needs (moto flags, staging upload, the
 * function's log line) is done for the user and said so. moto is stopped by its PID whatever happens.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { out, dir } = options;
  checkDemoDir(dir);
  mkdirSync(dir, { recursive: true });
  const steps: DemoStep[] = [];
  let moto: MotoServer;
  try {
    moto = await spawnMotoServer();
  } catch (err) {
    throw new TaegisError('INPUT_INVALID', `the AWS emulator could not be started: ${(err as Error).message}`, {
      fix: "the demo needs Python moto with its server extras (pip install 'moto[server]==5.2.1'); nothing was changed",
      cause: err,
    });
  }
  const endpoint = `http://127.0.0.1:${moto.port}`;
  const env = motoEnv(moto.port);
  const stopOnInterrupt = onInterrupt(() => process.kill(moto.pid, 'SIGTERM'));
  const clients = new AwsClientFactory({ endpoint, credentials: MOTO_CREDENTIALS, maxAttempts: 3 });
  try {
    out(`emulator: moto_server on ${endpoint} (pid ${moto.pid}), account ${MOTO_ACCOUNT}; files in ${dir}`);
    mkdirSync(path.join(dir, 'logs'));
    const config = path.join(dir, 'taegis.config.json');
    const regions = DEMO_REGIONS.map((r) => r.region);
    const aws = (r: string) => `aws://${MOTO_ACCOUNT}/${r}`;

    const inProcess = async (title: string, work: () => Promise<readonly string[]>): Promise<boolean> => {
      header(out, steps.length + 1, title);
      const started = Date.now();
      const lines = await work();
      for (const l of lines) out(`  ${l}`);
      steps.push({ title, exitCode: 0, seconds: (Date.now() - started) / 1000 });
      return true;
    };
    const command = async (title: string, argv: readonly string[], note?: string): Promise<boolean> => {
      header(out, steps.length + 1, title);
      if (note) out(`  (${note})`);
      out(`  $ ${argv.join(' ')}`);
      const started = Date.now();
      const log = path.join(
        dir,
        'logs',
        `${String(steps.length + 1).padStart(2, '0')}-${argv[argv.indexOf('--') - 1] ?? argv[2]}.log`,
      );
      const { code, lines } = await runCapturing(argv, env);
      writeFileSync(log, lines.join('\n'));
      const seconds = (Date.now() - started) / 1000;
      steps.push({ title, exitCode: code, seconds });
      // On success the end of the output says what happened; on failure the user needs all of it.
      const shown = code === 0 ? lines.slice(-STEP_TAIL_LINES) : lines;
      if (shown.length < lines.length) out(`  | ... (${lines.length - shown.length} lines before these are in ${log})`);
      for (const l of shown) out(`  | ${l}`);
      out(`  -> exit ${code} in ${seconds.toFixed(1)} s (full output: ${log})`);
      return code === 0;
    };

    const flow = async (): Promise<boolean> =>
      (await inProcess('Seed an emulated account with console-made Taegis stacks', () =>
        seedDemoAccount(clients, MOTO_ACCOUNT),
      )) &&
      (await command('Discover the Taegis stacks and write the config', [
        'npm',
        'run',
        '--silent',
        'discover',
        '--',
        '--region',
        regions.join(','),
        '--write',
        config,
        '--xdr-login-url',
        'https://ctpx.secureworks.com/',
      ])) &&
      (await inProcess('Put the vendor downloads next to the config', () => {
        const artifacts = path.join(dir, 'artifacts');
        mkdirSync(artifacts);
        for (const f of [...VENDOR_FILES, 'credentials.txt'])
          copyFileSync(path.join(EXAMPLE, f), path.join(artifacts, f));
        return Promise.resolve([
          `copied the synthetic stand-ins from assets/example to ${artifacts} (use your real downloads on AWS)`,
        ]);
      })) &&
      (await command('Synthesize (validates config and vendor files)', [
        'npx',
        'cdk',
        'synth',
        '--quiet',
        '-c',
        `config=${config}`,
        '--output',
        path.join(dir, 'cdk.out'),
      ])) &&
      (await command('Bootstrap each region', [
        'npx',
        'cdk',
        'bootstrap',
        '-c',
        `config=${config}`,
        '--output',
        path.join(dir, 'cdk.out'),
        ...regions.map(aws),
      ])) &&
      (await inProcess('Stage the vendor package in each staging bucket', async () => {
        for (const r of regions) {
          const bucket = stagingBucketName({ region: r, account: MOTO_ACCOUNT });
          const s3 = clients.s3(r);
          await createBucket(s3, r, bucket);
          for (const f of VENDOR_FILES) {
            await s3.send(new PutObjectCommand({ Bucket: bucket, Key: f, Body: readFileSync(path.join(EXAMPLE, f)) }));
          }
        }
        return [
          "done for you: moto cannot run the staging stack's BucketDeployment (a Lambda-backed custom resource),",
          "so the zip and both templates were put at each staging bucket's root with the SDK; on AWS, deploy does it",
        ];
      })) &&
      (await command('Plan: a change set per Lambda stack, shown and deleted', [
        'npm',
        'run',
        '--silent',
        'plan',
        '--',
        '--config',
        config,
      ])) &&
      (await command(
        'Deploy the shared and Lambda stacks',
        [
          'npm',
          'run',
          '--silent',
          'deploy',
          '--',
          '--config',
          config,
          '--stack',
          'TaegisShared-*',
          '--stack',
          'TaegisLambda-*',
          '--exclusively',
          '--method',
          'direct',
          '--no-previous-parameters',
          '--require-approval',
          'never',
        ],
        'moto-only flags: --exclusively (staging was done above), --method direct, --no-previous-parameters',
      )) &&
      (await inProcess('Let the migrated functions log', async () => {
        const lines: string[] = [];
        for (const r of DEMO_REGIONS)
          for (const s of r.stacks) {
            const fn = vendorFunctionName(s.stackName, s.integration);
            await putLogLine(clients, r.region, fn, `level=info msg="${SUCCESS_LINE}" records=42 (demo)`);
            lines.push(`${r.region}: ${functionLogGroup(fn)}`);
          }
        return [
          'done for you: moto cannot run Lambda code, so the line the new package logs after shipping a batch',
          "was written to each function's log group:",
          ...lines,
        ];
      })) &&
      (await command('Verify: move the S3 triggers, check the runtime, wait for the log line', [
        'npm',
        'run',
        '--silent',
        'verify',
        '--',
        '--config',
        config,
        '--backup-dir',
        path.join(dir, 'backups'),
        '--json',
        path.join(dir, 'verify.json'),
        '--junit',
        path.join(dir, 'verify.xml'),
        '--log-timeout',
        String(options.logTimeoutSeconds ?? 60),
      ]));

    const passed = await flow();
    const failedStep = steps.find((s) => s.exitCode !== 0);
    out('');
    out('summary:');
    for (const [i, s] of steps.entries())
      out(
        `  ${String(i + 1).padStart(2)}. ${s.exitCode === 0 ? 'ok  ' : `exit ${s.exitCode}`} ${s.title} (${s.seconds.toFixed(1)} s)`,
      );
    out(
      passed
        ? `the migration ran end to end on the emulator; config, backups and reports are in ${dir}`
        : `stopped at "${failedStep?.title ?? '?'}"; what it printed is above, files are in ${dir}`,
    );
    const code =
      failedStep?.exitCode === ExitCode.BadInput ? ExitCode.BadInput : passed ? ExitCode.Ok : ExitCode.CheckFailed;
    return { exitCode: code, steps, dir };
  } finally {
    clients.destroy();
    stopOnInterrupt();
    await moto.stop();
    out(`emulator stopped (pid ${moto.pid})`);
  }
}

function header(out: (line: string) => void, n: number, title: string): void {
  out('');
  out(`== ${n}. ${title}`);
}

async function putLogLine(clients: AwsClientFactory, region: string, fn: string, message: string): Promise<void> {
  const logs = clients.logs(region);
  const group = functionLogGroup(fn);
  try {
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
  } catch (err) {
    if ((err as Error).name !== 'ResourceAlreadyExistsException') throw err;
  }
  const stream = `demo/[$LATEST]${Date.now().toString(16)}`;
  await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
  await logs.send(
    new PutLogEventsCommand({
      logGroupName: group,
      logStreamName: stream,
      logEvents: [{ message, timestamp: Date.now() }],
    }),
  );
}

/** Runs one of the user's commands; resolves with its exit code and its output lines (stdout and stderr, in order). */
function runCapturing(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<{ code: number; lines: string[] }> {
  const collected: string[] = [];
  const out = (l: string) => collected.push(l);
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = argv;
    const child = spawn(cmd!, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    // Ctrl-C reaches the step's process group on a terminal; a SIGINT sent to the demo alone must stop it too.
    const unregister = onInterrupt(() => child.kill('SIGINT'));
    const pipe = (stream: NodeJS.ReadableStream) => {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (d: string) => {
        const lines = (rest + d).split('\n');
        rest = lines.pop() ?? '';
        for (const l of lines) out(l);
      });
      stream.on('end', () => rest !== '' && out(rest));
    };
    pipe(child.stdout);
    pipe(child.stderr);
    child.on('error', reject);
    child.on('close', (code, sig) => {
      unregister();
      resolve({ code: code ?? (sig ? 130 : 1), lines: collected });
    });
  });
}
