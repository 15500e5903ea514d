import * as path from 'node:path';
import { restore } from '../cli/definition/restore.js';
import { createOutput } from '../cli/output.js';
import { outputDirProblem } from '../cli/output-path.js';
import { parseCommand } from '../cli/parse.js';
import { openAccountSession, type SessionDeps } from '../cli/session.js';
import { loadConfig } from '../config/load.js';
import type { AccessConfig } from '../config/schema.js';
import { ExitCode, TaegisError } from '../util/errors.js';
import { restoreBackup } from '../verify/restore.js';

/** Things restore needs from outside; tests pass their own. */
export interface RestoreCliDeps extends SessionDeps {
  readonly stdout?: (text: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => Date;
}

/** The flags restore reads, the same in `restore` and `verify restore`. */
export interface RestoreFlags {
  readonly backup: string | undefined;
  readonly 'backup-dir': string;
  readonly 'role-name': string | undefined;
  readonly config: string | undefined;
  readonly profile: string | undefined;
  readonly 'endpoint-url': string | undefined;
}

/**
 * A write needs somewhere to put its backup: proved before any AWS call, not after a permission was added, and
 * without creating anything (the folder is made by the first backup).
 */
export function checkBackupDir(backupDir: string): void {
  const problem = outputDirProblem('--backup-dir', backupDir);
  if (problem) {
    throw new TaegisError('INPUT_INVALID', `${problem.path}: ${problem.message}`, {
      fix: 'name a folder you can write to with --backup-dir, or run with --dry-run',
    });
  }
}

/**
 * How restore enters the backup's account: `--role-name`, else the config's top-level `access` when `--config` is
 * given (restore needs no config otherwise).
 */
function restoreAccess(roleName: string | undefined, configPath: string | undefined): AccessConfig | undefined {
  if (roleName !== undefined) return { roleName };
  return configPath !== undefined ? loadConfig(configPath).access : undefined;
}

/** `taegis-migrate restore` and `taegis-migrate verify restore`, after their flags were read. */
export async function runRestore(f: RestoreFlags, deps: RestoreCliDeps = {}): Promise<ExitCode> {
  const output = createOutput(deps);
  const env = deps.env ?? process.env;
  const now = deps.now ?? (() => new Date());
  const backupDir = path.resolve(f['backup-dir']);
  const roleName = f['role-name'];
  if (!f.backup) {
    throw new TaegisError('INPUT_INVALID', 'restore needs --backup FILE', {
      fix: 'taegis-migrate restore --backup backups/<region>_<bucket>_<time>.json',
    });
  }
  checkBackupDir(backupDir);
  // The backup names its bucket's account: the restore goes there, through that account's credentials.
  const session = openAccountSession({ command: 'verify-restore', flags: f, env, deps });
  try {
    // restoreBackup checks the credentials in the backup's region; an endpoint that does not answer is named here.
    await session.requireEndpoint();
    const access = restoreAccess(roleName, f.config);
    return await restoreBackup(session, {
      ...(access ? { access } : {}),
      file: f.backup,
      backupDir,
      now,
      stdout: output.out,
    });
  } finally {
    session.close();
  }
}

/** `taegis-migrate restore`: puts a bucket's notification configuration back from a verify backup. */
export async function restoreMain(argv: readonly string[], deps: RestoreCliDeps = {}): Promise<ExitCode> {
  const { values, help } = parseCommand(restore, argv);
  if (help !== undefined) {
    createOutput(deps).out(help);
    return ExitCode.Ok;
  }
  return runRestore(values, deps);
}
