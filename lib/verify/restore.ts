import { readFileSync } from 'node:fs';
import type { AccountSession } from '../cli/session.js';
import type { AccessConfig } from '../config/schema.js';
import { ExitCode, TaegisError } from '../util/errors.js';
import { readBackup } from './backup.js';
import { readNotifications, replaceNotifications } from './bucket-write.js';
import { sameNotifications } from './notifications.js';
import { readSnsRecord, SNS_RECORD_KIND, undoSnsRoute } from './sns.js';
import { parseTopicArn } from './sns-route.js';

export interface RestoreOptions {
  readonly file: string;
  /** Where the configuration being replaced is saved first, so a restore can itself be undone. */
  readonly backupDir: string;
  readonly now: () => Date;
  readonly stdout: (text: string) => void;
  /**
   * How to enter the backup's account when it is not the caller's (`--role-name`, or the config's `access`).
   * @default - none: only the caller's own account
   */
  readonly access?: AccessConfig;
}

/**
 * `verify restore --backup FILE`: puts a saved notification configuration back, after saving the current one; or,
 * given the record of an SNS route (`<region>_<stack>_sns_<time>.json`), takes out what that run added.
 */
export async function restoreBackup(session: AccountSession, opts: RestoreOptions): Promise<ExitCode> {
  const raw = peekJson(opts.file);
  if ((raw as { kind?: unknown } | undefined)?.kind === SNS_RECORD_KIND) return undoSnsRecord(session, opts, raw);
  const backup = readBackup(opts.file);
  await session.preflight(backup.region);
  const routing = await session.route([
    { account: backup.account, region: backup.region, ...(opts.access ? { access: opts.access } : {}) },
  ]);
  const why = routing.unreachable.get(backup.account);
  if (why !== undefined) {
    throw new TaegisError('CHECK_FAILED', `cannot enter account ${backup.account} to restore ${opts.file}: ${why}`);
  }
  const s3 = routing.clientsFor(backup.account).s3(backup.region);
  const target = { region: backup.region, bucket: backup.bucket, account: backup.account };
  const current = await readNotifications(s3, target);
  if (sameNotifications(current, backup.configuration)) {
    opts.stdout(
      `bucket ${backup.bucket} (${backup.region}) already has the configuration of ${opts.file}; nothing written`,
    );
    return ExitCode.Ok;
  }
  const written = await replaceNotifications(s3, target, {
    current,
    desired: backup.configuration,
    backupDir: opts.backupDir,
    savedAt: opts.now(),
  });
  const saved = written.backupFile;
  if (written.outcome !== 'written') {
    throw new TaegisError('CHECK_FAILED', `restored ${backup.bucket}, but reading it back differs from ${opts.file}`, {
      fix: `compare with the saved previous configuration ${saved}`,
    });
  }
  opts.stdout(
    `restored bucket ${backup.bucket} (${backup.region}) from ${opts.file}; the configuration it replaced is saved in ${saved}`,
  );
  return ExitCode.Ok;
}

/** The file's JSON, or undefined when it is not JSON (readBackup then names the problem). */
function peekJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

async function undoSnsRecord(session: AccountSession, opts: RestoreOptions, raw: unknown): Promise<ExitCode> {
  const rec = readSnsRecord(opts.file, raw);
  const topic = parseTopicArn(rec.topicArn)!;
  await session.preflight(rec.region);
  const access = opts.access ? { access: opts.access } : {};
  const routing = await session.route([
    { account: rec.account, region: rec.region, ...access },
    { account: topic.account, region: topic.region, ...access },
  ]);
  for (const account of new Set([rec.account, topic.account])) {
    const why = routing.unreachable.get(account);
    if (why !== undefined)
      throw new TaegisError('CHECK_FAILED', `cannot enter account ${account} to undo ${opts.file}: ${why}`);
  }
  for (const line of await undoSnsRoute(rec, routing.clientsFor)) opts.stdout(line);
  opts.stdout(`undid the SNS route additions of ${opts.file} (${rec.stackName}, ${rec.topicArn})`);
  return ExitCode.Ok;
}
