import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

/** The account id moto answers with for its default (dummy) credentials. */
export const MOTO_ACCOUNT = '123456789012';
/** Dummy credentials moto accepts. */
export const MOTO_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' } as const;
/**
 * What `cdk deploy` of one stack needs against moto (shared/moto-notes.md): only the named stack (its dependencies,
 * e.g. the staging stack's BucketDeployment, are staged another way), no approval prompt, no change set, and every
 * parameter given anew.
 */
export const MOTO_CDK_DEPLOY_FLAGS = [
  '--exclusively',
  '--require-approval',
  'never',
  '--method=direct',
  '--no-previous-parameters',
] as const;

/** The launcher that corrects the moto behaviours an in-place stack update meets (see the file). */
export const MOTO_LAUNCHER = path.join(import.meta.dirname, 'moto_launcher.py');

/** A moto_server process: the port it bound itself, and how to stop it by its PID. */
export interface MotoServer {
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

export interface SpawnMotoOptions {
  /**
   * Seconds to wait for the server to answer.
   * @default 60
   */
  readonly startTimeoutSeconds?: number;
}

/**
 * Starts moto_server (through our launcher) on port 0, so the OS picks a free port as moto binds it (no port chosen
 * beforehand that another process could take), reads the bound port from moto's "Running on" line and waits until
 * it answers.
 */
export async function spawnMotoServer(options: SpawnMotoOptions = {}): Promise<MotoServer> {
  const child: ChildProcess = spawn('python3', [MOTO_LAUNCHER, '-H', '127.0.0.1', '-p', '0'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  let stderr = '';
  let port: number | undefined;
  let spawnError: Error | undefined;
  child.once('error', (err) => (spawnError = err));
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
    port ??= Number(/Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr)?.[1] ?? '') || undefined;
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    process.kill(child.pid, 'SIGTERM');
    const timer = setTimeout(
      () => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL'),
      5000,
    );
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (options.startTimeoutSeconds ?? 60) * 1000;
  for (;;) {
    if (spawnError) throw new Error(`python3 could not be started for moto_server: ${spawnError.message}`);
    if (child.exitCode !== null) throw new Error(`moto_server exited with ${child.exitCode}: ${stderr.trim()}`);
    if (port !== undefined) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/moto-api/data.json`);
        if (res.status === 200) return { port, pid: child.pid!, stop };
      } catch {
        // bound, not answering yet
      }
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server did not answer in time: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The environment for child processes (the CDK CLI, our commands) aimed at moto on `port`, with its dummy
 * credentials. The CLI gets `localhost`: moto resolves its path-style TemplateURL only with that host.
 */
export function motoEnv(port: number, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
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
}

/** True for a loopback IP literal: `127.x.x.x` or `[::1]` (the same machine as `localhost`). */
const isLoopbackIp = (host: string): boolean => /^127(\.\d{1,3}){3}$/.test(host) || host === '[::1]';

/**
 * The endpoint override the CDK toolkit gets for a deploy, from the one the user gave. An emulator such as moto finds
 * the template the toolkit uploaded only when the TemplateURL's host contains `localhost`: with an IP it reads the
 * IP's first label as the bucket name and answers NoSuchBucket. A loopback IP is the same server as `localhost`, so
 * the toolkit gets that spelling (`note` says so); anything else is passed as given. Our own SDK clients keep the
 * endpoint as given. Real AWS has no endpoint override, so this never applies there.
 */
export function toolkitEndpoint(endpoint: string): { readonly endpoint: string; readonly note?: string } {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return { endpoint };
  }
  if (!isLoopbackIp(url.hostname)) return { endpoint };
  const original = url.host;
  url.hostname = 'localhost';
  const rewritten = url.toString().replace(/\/$/, endpoint.endsWith('/') ? '/' : '');
  return {
    endpoint: rewritten,
    note: `note: the deploy reaches ${original} as ${url.host}: an emulator such as moto finds the uploaded template only through a "localhost" URL`,
  };
}
