import { formatTable } from '../cli/table.js';
import { runtimeWarning } from '../facts/lambda-runtimes.js';
import type { DiscoverReport, NotificationState } from './discover.js';
import { LAMBDA_PARAMETERS, SHARED_PARAMETERS } from '../facts/taegis.js';

const dash = (v: string | undefined): string => (v === undefined || v === '' ? '-' : v);

function notified(n: NotificationState): string {
  switch (n.state) {
    case 'yes':
      return 'yes';
    case 'qualified':
      return 'qualified';
    case 'no':
      return 'NO';
    case 'via-sns':
      return 'via SNS';
    case 'unknown':
      return 'unknown';
  }
}

/**
 * The human report: one table of Taegis Lambda stacks, then shared stacks, unreadable stacks and warnings.
 * `now` dates the runtime notes (lib/facts/lambda-runtimes.ts).
 */
export function formatDiscoverReport(report: DiscoverReport, now: Date = new Date()): string {
  const out: string[] = [];
  const where = (r: { readonly account?: string }, region: string): string =>
    r.account !== undefined ? `${r.account}/${region}` : region;
  const rows = report.regions.flatMap((r) =>
    r.lambdaStacks.map((s) => [
      where(r, s.region),
      s.stackName,
      s.status,
      s.integrationType === undefined
        ? '?'
        : s.integrationSource === 'parameter'
          ? s.integrationType
          : `${s.integrationType} (from ${s.integrationSource})`,
      dash(s.notificationBucket),
      dash(s.snsNotificationArn),
      dash(s.notificationBucketKmsArn),
      dash(s.lambdaEnvKmsArn),
      dash(s.functionName),
      dash(s.runtime),
      s.package !== undefined ? `package ${s.package}` : s.codeSha256 !== undefined ? s.codeSha256.slice(0, 12) : '-',
      notified(s.notified),
      s.recognizedBy.join('+'),
    ]),
  );
  if (report.accounts !== undefined) {
    const notRead = report.accounts.filter((a) => a.state !== 'read');
    out.push(
      `Accounts: ${report.accounts.length} in the organization, ${report.accounts.length - notRead.length} read`,
      formatTable(
        ['Account', 'Name', 'State', 'Reason'],
        report.accounts.map((a) => [a.account, dash(a.name), a.state, dash(a.reason)]),
      ),
      '',
    );
  }
  out.push(`Taegis Lambda stacks: ${rows.length}`);
  if (rows.length > 0) {
    out.push(
      formatTable(
        [
          'Region',
          'Stack',
          'Status',
          'Integration',
          LAMBDA_PARAMETERS.notificationBucket,
          LAMBDA_PARAMETERS.snsNotificationArn,
          'BucketKMS',
          'LambdaEnvKMS',
          'Function',
          'Runtime',
          'Package',
          'Notified',
          'RecognisedBy',
        ],
        rows,
      ),
    );
  }
  const details = report.regions.flatMap((r) =>
    r.lambdaStacks.flatMap((s) => [
      ...(s.notified.state === 'unknown' || s.notified.state === 'via-sns' || s.notified.state === 'qualified'
        ? [`${s.region}/${s.stackName}: notified ${notified(s.notified)}: ${s.notified.detail ?? ''}`]
        : []),
      ...s.problems.map((p) => `${s.region}/${s.stackName}: ${p}`),
    ]),
  );
  if (details.length > 0) out.push('', ...details);

  const shared = report.regions.flatMap((r) =>
    r.sharedStacks.map((s) => [s.region, s.stackName, s.status, dash(s.taegisRegion)]),
  );
  out.push('', `Shared-resources stacks: ${shared.length}`);
  if (shared.length > 0) out.push(formatTable(['Region', 'Stack', 'Status', SHARED_PARAMETERS.taegisRegion], shared));

  const unreadable = report.regions.flatMap((r) =>
    r.unreadable.map((u) => [u.region, u.stackName, u.looksLikeTaegis ? 'yes (description)' : 'unknown', u.reason]),
  );
  if (unreadable.length > 0) {
    out.push('', `Stacks that could not be read: ${unreadable.length}`);
    out.push(formatTable(['Region', 'Stack', 'Taegis?', 'Reason'], unreadable));
  }
  const regionErrors = report.regions.filter((r) => r.error !== undefined);
  if (regionErrors.length > 0) {
    out.push('', `Regions that could not be read: ${regionErrors.length}`);
    out.push(
      formatTable(
        ['Region', 'Reason'],
        regionErrors.map((r) => [r.region, r.error ?? '']),
      ),
    );
  }
  // One line per runtime AWS has dates for, not one per function: the dates are the same for all of them.
  const byRuntime = new Map<string, number>();
  for (const s of report.regions.flatMap((r) => r.lambdaStacks)) {
    if (s.runtime !== undefined) byRuntime.set(s.runtime, (byRuntime.get(s.runtime) ?? 0) + 1);
  }
  const runtimeNotes = [...byRuntime]
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([runtime, n]) => {
      const w = runtimeWarning(runtime, now);
      return w ? [`${n} function(s): ${w}`] : [];
    });
  if (runtimeNotes.length > 0) out.push('', 'Runtimes:', ...runtimeNotes.map((w) => `  - ${w}`));
  const warnings = report.regions.flatMap((r) => r.warnings.map((w) => `${r.region}: ${w}`));
  if (warnings.length > 0) out.push('', 'Warnings:', ...warnings.map((w) => `  - ${w}`));
  const others = report.regions.reduce((n, r) => n + r.otherStacks, 0);
  out.push('', `Other stacks (not Taegis): ${others} in ${report.regions.length} region(s)`);
  return out.join('\n');
}
