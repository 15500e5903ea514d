import { spawn } from 'node:child_process';
import * as path from 'node:path';

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion without blocking the event loop (moto and vitest keep running). */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<RunResult> {
  const cdkCli = path.basename(command) === 'cdk' || (path.basename(command) === 'npx' && args[0] === 'cdk');
  if (cdkCli && process.env.TAEGIS_TEST_KIND === 'unit') {
    return Promise.reject(
      new Error('unit tests run no CDK CLI: name this test file *.moto.test.ts (see CONTRIBUTING.md "Tests")'),
    );
  }
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.pid !== undefined && child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The command users run (package.json "bin"; the npm scripts call it too). */
export const CLI = path.join(import.meta.dirname, '..', '..', 'bin', 'taegis-migrate.mjs');

/** Runs `taegis-migrate <args>` in a child process the way a user or a CI step does: node on bin/taegis-migrate.mjs. */
export function runTaegisMigrate(
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<RunResult> {
  return run(process.execPath, [CLI, ...args], options);
}
