import type { CheckName, CheckResult, Drift, RegionReport, VerifyReport } from './report.js';

/**
 * `verify --check` names, for every failed check, the command that puts it right. The commands are the ones a user
 * runs by hand (docs/verify.md); the config is named as it was given on the command line.
 */

interface Where {
  readonly account: string | undefined;
  readonly region: string;
  readonly stackName: string;
}

/** The command that fixes a failed check of one stack. */
export function fixCommand(check: CheckName, where: Where, configArg: string | undefined): string {
  const target = [
    ...(configArg !== undefined ? [`--config ${configArg}`] : []),
    ...(where.account !== undefined ? [`--account ${where.account}`] : []),
    `--region ${where.region}`,
  ].join(' ');
  const verify = `taegis-migrate verify ${target} --stack ${where.stackName}`;
  const deploy = `taegis-migrate deploy ${target}`;
  switch (check) {
    // Stack gone, rolled back or failed, function on another runtime or in a failed state, alarms or their stack
    // changed, a function still on the old zip: the deploy puts the migrated stack (and its monitoring, and the
    // vendor's current package) back as the config says.
    case 'stack':
    case 'runtime':
    case 'health':
    case 'package':
      return deploy;
    case 'alarms':
      return `look at the alarm in CloudWatch; if its stack drifted: ${deploy}`;
    // The trigger or its permission: verify moves it back, after a backup, keeping every foreign entry.
    case 'trigger':
    case 'sns':
      return verify;
    // Events the function failed on wait in its queue: once the cause is fixed, replay sends them again.
    case 'failed-events':
      return `fix the cause (the function's errors in its log group), then taegis-migrate replay ${target} --stack ${where.stackName}`;
    case 'logs':
      return `check that new objects reach the bucket and the function's errors in its log group, then ${verify} --log-timeout 600`;
    case 'taegis':
      return `check the integration in Taegis (credentials, data source), then ${verify} --taegis`;
    // A check this list does not know yet: its own detail says what to do; verify of the stack checks it again.
    default:
      return `see the check's detail, then ${verify}`;
  }
}

/**
 * The report with a `fix` on every failed check and the list of drifts; only failed checks are drifts (a `skip` follows
 * from the failure before it).
 */
export function withDriftFixes(report: VerifyReport, configArg: string | undefined): VerifyReport {
  const drifts: Drift[] = [];
  const regions: RegionReport[] = report.regions.map((r) => ({
    ...r,
    stacks: r.stacks.map((s) => {
      // A single-account report has no account on its regions: the stack's function ARN names it.
      const account = r.account ?? s.functionArn?.split(':')[4];
      const where = { account, region: r.region, stackName: s.stackName };
      return {
        ...s,
        checks: s.checks.map((c): CheckResult => {
          if (c.status !== 'fail') return c;
          const fix = fixCommand(c.name, where, configArg);
          drifts.push({
            ...(r.account !== undefined ? { account: r.account } : {}),
            region: r.region,
            stackName: s.stackName,
            check: c.name,
            detail: c.detail,
            fix,
          });
          return { ...c, fix };
        }),
      };
    }),
  }));
  return { ...report, check: true, regions, drifts };
}
