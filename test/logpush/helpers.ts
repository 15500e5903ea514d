import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { reportError } from '../../lib/util/errors.js';
import { logpushMain } from '../../lib/commands/logpush.js';

export const ACCOUNT = '0123456789abcdef0123456789abcdef';
export const ZONE = 'fedcba9876543210fedcba9876543210';
export const TOKEN = 'cf-token-Sn3lZJTBX6kkg7OdcBUAxOO963GEIyGQ';
export const READ_TOKEN = 'cf-read-only-token-0000000000000000';
export const HTTP_KEY = 'taegis-key-http+/=AAAAAAAAAAAAAAAAAAAAAA';
export const DNS_KEY = 'taegis-key-dns-BBBBBBBBBBBBBBBBBBBBBBBB';
export const INGEST_HTTP = 'https://ingest.ctpx.example-taegis.test/http/ingest-0001';
export const INGEST_DNS = 'https://ingest.ctpx.example-taegis.test/http/ingest-0002';

/** A temp dir with a standalone logpush config (a zone with http_requests, an account with gateway_dns) and key files. */
export function writeConfig(overrides: Record<string, unknown> = {}): { dir: string; configPath: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'logpush-test-'));
  writeFileSync(path.join(dir, 'http.key'), `${HTTP_KEY}\n`, { mode: 0o600 });
  const config = {
    zones: [
      {
        id: ZONE,
        name: 'example.com',
        datasets: [{ dataset: 'http_requests', ingestUrl: INGEST_HTTP, integrationKey: { file: 'http.key' } }],
      },
    ],
    accounts: [
      {
        id: ACCOUNT,
        datasets: [{ dataset: 'gateway_dns', ingestUrl: INGEST_DNS, integrationKey: { env: 'TAEGIS_DNS_KEY' } }],
      },
    ],
    ...overrides,
  };
  const configPath = path.join(dir, 'logpush.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  return { dir, configPath };
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly sleeps: number[];
}

/** Runs the command in-process the way bin/taegis-migrate.mjs does (runCli's catch included). */
export async function runLogpush(argv: readonly string[], env: NodeJS.ProcessEnv, now?: Date): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const sleeps: number[] = [];
  let code: number;
  try {
    code = await logpushMain(argv, {
      env,
      stdout: (s) => (stdout += s),
      stderr: (s) => (stderr += s),
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      ...(now ? { now } : {}),
    });
  } catch (err) {
    code = reportError(err, (line) => (stderr += `${line}\n`));
  }
  return { code, stdout, stderr, sleeps };
}
