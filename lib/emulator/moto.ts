import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import * as path from 'node:path';

/** The account id moto answers with for its default (dummy) credentials. */
export const MOTO_ACCOUNT = '123456789012';
/** Dummy credentials moto accepts. */
export const MOTO_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;
/** The launcher that corrects two moto behaviours an in-place stack update meets (see the file). */
export const MOTO_LAUNCHER = path.join(import.meta.dirname, 'moto_launcher.py');

/** A moto server this process started, stopped by the PID it started. */
export interface MotoServer {
  readonly port: number;
  readonly pid: number;
  /** `http://127.0.0.1:PORT`, for SDK clients. */
  readonly endpoint: string;
  /** `http://localhost:PORT`, for the CDK CLI (moto resolves the CLI's path-style TemplateURL only with "localhost"). */
  readonly cdkEndpoint: string;
  /** Environment for child processes (CDK CLI, our commands) aimed at this server, with dummy credentials. */
  readonly env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /**
   * Seconds to wait for the server to answer.
   * @default 60
   */
  readonly startTimeoutSeconds?: number;
  /**
   * The environment the child processes' environment is built from.
   * @default process.env
   */
  readonly baseEnv?: NodeJS.ProcessEnv;
}

/** A port nobody listens on right now; the server may still lose it to a race, which `startMoto` retries. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts `moto_server` (Python moto, through our launcher) on a free 127.0.0.1 port and waits until it answers.
 * A server that exits before answering (its port was taken in between) is retried on another port.
 */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(await freePort(), options);
    } catch (err) {
      lastError = err as Error;
      if (!(err instanceof PortLostError)) throw err;
    }
  }
  throw lastError ?? new Error('moto_server did not start');
}

class PortLostError extends Error {}

async function startOnce(port: number, options: StartMotoOptions): Promise<MotoServer> {
  const child: ChildProcess = spawn('python3', [MOTO_LAUNCHER, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.startTimeoutSeconds ?? 60) * 1000;
  for (;;) {
    const failed = await Promise.race([spawnError, new Promise<undefined>((r) => setTimeout(() => r(undefined), 0))]);
    if (failed) throw new Error(`python3 could not be started for moto_server: ${failed.message}`);
    if (child.exitCode !== null) {
      if (/address already in use/i.test(stderr)) throw new PortLostError(stderr);
      throw new Error(`moto_server exited with ${child.exitCode}: ${stderr.trim()}`);
    }
    try {
      const res = await fetch(`${endpoint}/moto-api/data.json`);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`moto_server did not answer on ${endpoint} in time: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const base = options.baseEnv ?? process.env;
  const env: NodeJS.ProcessEnv = {
    ...base,
    AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ENDPOINT_URL: `http://localhost:${port}`,
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: '1',
  };
  const pid = child.pid!;
  return {
    port,
    pid,
    endpoint,
    cdkEndpoint: `http://localhost:${port}`,
    env,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      process.kill(pid, 'SIGTERM');
      const timer = setTimeout(
        () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'),
        5000,
      );
      await exited;
      clearTimeout(timer);
    },
  };
}
