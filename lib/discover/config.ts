import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseConfig } from '../config/load.js';
import { LambdaStackConfigSchema, FIX_SEPARATOR, type LambdaStackConfig } from '../config/schema.js';
import { TaegisError } from '../util/errors.js';
import { defaultLambdaRuntime } from '../facts/lambda-runtimes.js';
import type { DiscoverReport, DiscoveredLambdaStack } from './discover.js';

/** Statuses in which CloudFormation cannot update a stack in place: writing them into the config would only fail at deploy. */
const NOT_UPDATABLE = new Set([
  'CREATE_FAILED',
  'ROLLBACK_IN_PROGRESS',
  'ROLLBACK_FAILED',
  'ROLLBACK_COMPLETE',
  'DELETE_IN_PROGRESS',
  'DELETE_FAILED',
  'REVIEW_IN_PROGRESS',
]);

export interface ConfigDraft {
  /** The config object, in the app's schema, ready to be written as JSON. */
  readonly config: Record<string, unknown>;
  /** Found stacks that were left out, each with why and what to do. */
  readonly warnings: readonly string[];
}

export interface DraftOptions {
  /** The Taegis region to write (from `--xdr-login-url` or `--taegis-region`). */
  readonly taegisRegion: string;
  /**
   * Today: the config gets the runtime the default chooses on this date (lib/facts/lambda-runtimes.ts).
   * @default - the current date
   */
  readonly now?: Date;
  /**
   * Written as the top-level `access`, for a config that spans an organization's accounts.
   * @default - none
   */
  readonly access?: { readonly roleName: string };
}

function entryFor(s: DiscoveredLambdaStack): { entry?: LambdaStackConfig; problem?: string } {
  if (NOT_UPDATABLE.has(s.status)) {
    return {
      problem: `its status ${s.status} cannot be updated in place; fix or delete the stack in the console, then re-run discover`,
    };
  }
  if (s.integrationType === undefined)
    return {
      problem:
        'no integration type found (no IntegrationType parameter, vendor description or vendor function name); add it by hand',
    };
  if (s.notificationBucket === undefined)
    return { problem: 'it has no NotificationBucket parameter; add the log bucket by hand' };
  const raw = {
    stackName: s.stackName,
    integrationType: s.integrationType,
    notificationBucket: s.notificationBucket,
    ...(s.snsNotificationArn ? { snsNotificationArn: s.snsNotificationArn } : {}),
    ...(s.notificationBucketKmsArn ? { notificationBucketKmsArn: s.notificationBucketKmsArn } : {}),
    ...(s.lambdaEnvKmsArn ? { lambdaEnvKmsArn: s.lambdaEnvKmsArn } : {}),
  };
  const parsed = LambdaStackConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (i) => `${i.path.join('.')} ${i.message.split(FIX_SEPARATOR)[0] ?? i.message}`,
    );
    return { problem: `its values do not fit the config schema (${issues.join('; ')}); add it by hand` };
  }
  return { entry: parsed.data };
}

/**
 * Turns what discover found into a config in the app's schema. Deterministic (regions and stacks sorted),
 * so re-running on an unchanged account writes the same bytes. Carries no secret: the schema has no field for one.
 */
export function draftConfig(report: DiscoverReport, options: DraftOptions): ConfigDraft {
  const warnings: string[] = [];
  const regions: { region: string; account: string; shared: string[]; stacks: LambdaStackConfig[] }[] = [];
  const ordered = [...report.regions].sort(
    (a, b) => (a.account ?? '').localeCompare(b.account ?? '') || a.region.localeCompare(b.region),
  );
  // In an organization every warning that names a region names its account too.
  const organization = new Set(report.regions.map((r) => r.account).filter((a) => a !== undefined)).size > 1;
  const at = (r: { readonly account?: string; readonly region: string }): string =>
    organization && r.account !== undefined ? `${r.account}/${r.region}` : r.region;
  for (const r of ordered) {
    const stacks: LambdaStackConfig[] = [];
    let account: string | undefined;
    for (const s of r.lambdaStacks) {
      const { entry, problem } = entryFor(s);
      if (!entry) {
        warnings.push(`${at(r)}/${s.stackName} not written: ${problem ?? 'unknown reason'}`);
        continue;
      }
      if (s.account === undefined) {
        warnings.push(`${at(r)}/${s.stackName} not written: its account id is unknown`);
        continue;
      }
      account = s.account;
      stacks.push(entry);
    }
    for (const u of r.unreadable.filter((x) => x.looksLikeTaegis)) {
      warnings.push(
        `${at(r)}/${u.stackName} not written: its description says Taegis but it cannot be read (${u.reason})`,
      );
    }
    if (stacks.length === 0 || account === undefined) continue;
    const shared = r.sharedStacks.map((x) => x.stackName);
    if (shared.length > 1) {
      warnings.push(
        `${at(r)}: ${shared.length} shared-resources stacks (${shared.join(', ')}); none written, set "sharedStackName" for this region by hand`,
      );
    }
    regions.push({
      region: r.region,
      account,
      shared,
      stacks: stacks.sort((a, b) => a.stackName.localeCompare(b.stackName)),
    });
  }
  if (regions.length === 0) {
    throw new TaegisError('CHECK_FAILED', 'no Taegis Lambda stack that can be written to a config was found', {
      fix: 'check the regions (--regions / --all-regions) and the account the credentials belong to; see the table and warnings above',
    });
  }
  // One name used in every region becomes the top-level default; otherwise each region names its own.
  const singles = regions.map((r) => (r.shared.length === 1 ? r.shared[0] : undefined));
  const common = singles.every((n) => n !== undefined && n === singles[0]) ? singles[0] : undefined;
  for (const r of regions) {
    if (r.shared.length === 0) {
      warnings.push(`${at(r)}: no shared-resources stack found; the app will create one`);
    }
  }
  const config: Record<string, unknown> = {
    taegisRegion: options.taegisRegion,
    artifactsDir: './artifacts',
    lambdaRuntime: defaultLambdaRuntime(options.now ?? new Date()),
    ...(common !== undefined ? { sharedStackName: common } : {}),
    ...(options.access !== undefined ? { access: { roleName: options.access.roleName } } : {}),
    regions: regions.map((r, i) => ({
      region: r.region,
      account: r.account,
      ...(common === undefined && singles[i] !== undefined ? { sharedStackName: singles[i] } : {}),
      lambdaStacks: r.stacks,
    })),
  };
  return { config, warnings };
}

/**
 * Validates the draft with the app's own parser, then writes it. Refuses to overwrite unless `force`.
 * Written through a temporary file and a rename, so an interrupted run never leaves half a config.
 */
export function writeConfig(file: string, config: Record<string, unknown>, force: boolean, now?: Date): string {
  const abs = path.resolve(file);
  if (existsSync(abs) && !force) {
    throw new TaegisError('INPUT_INVALID', `${abs} already exists; nothing was written`, {
      fix: 'pass --force to overwrite it, or choose another path with --write',
    });
  }
  parseConfig(config, abs, now ? { now } : {});
  mkdirSync(path.dirname(abs), { recursive: true });
  const tmp = `${abs}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, abs);
  return abs;
}
