import { paginateDescribeAlarms, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import type { AwsClientFactory } from '../aws/clients.js';
import { reasonOf } from '../aws/errors.js';
import type { MigrationConfig } from '../config/load.js';
import { alarmPrefix } from '../monitoring/names.js';
import { monitoringStackName } from '../stacks/names.js';
import type { DataSourcesApi } from '../taegis/datasources.js';
import { waitForTaegisData, type SourceTarget } from '../taegis/source-check.js';
import type { CheckName, CheckResult } from './report.js';
import { failedEventsFor } from '../config/failed-events.js';
import { failedEventsQueueName } from '../monitoring/failed-events.js';
import { failedEventsCheck } from './checks/failed-events.js';

/** What verify knows about a stack when the optional checks start (after its trigger was moved). */
export interface ExtraCheckTarget {
  readonly account: string;
  readonly region: string;
  readonly stackName: string;
  readonly bucket: string;
  readonly functionName?: string;
  /** The migration time: `--since`, else the stack's last update. */
  readonly since: Date;
  /** An earlier check failed: the optional checks are skipped. */
  readonly blocked: boolean;
}

/** Runs the optional checks; results per `account/region/stackName`. */
export type ExtraChecks = (targets: readonly ExtraCheckTarget[]) => Promise<Map<string, CheckResult[]>>;

export const targetKey = (account: string, region: string, stackName: string): string =>
  `${account}/${region}/${stackName}`;

export interface ExtraCheckOptions {
  readonly config: MigrationConfig;
  /** Ask Taegis (verify --taegis). */
  readonly taegis?: DataSourcesApi;
  readonly logTimeoutSeconds: number;
  readonly pollIntervalMs?: number;
  readonly now: () => Date;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onTaegisProgress?: (p: {
    readonly done: number;
    readonly total: number;
    readonly secondsLeft: number;
  }) => void;
}

function result(
  name: CheckName,
  status: CheckResult['status'],
  detail: string,
  start: Date,
  end: Date,
  warnings: readonly string[] = [],
): CheckResult {
  return {
    name,
    status,
    detail,
    warnings,
    startedAt: start.toISOString(),
    durationMs: Math.max(0, end.getTime() - start.getTime()),
  };
}

/**
 * The `taegis` check (when a Taegis API is given) and the `alarms` check (when the config has `monitoring`), run
 * alongside the log wait.
 */
export function extraChecks(
  clientsFor: (account: string) => AwsClientFactory,
  opts: ExtraCheckOptions,
): ExtraChecks | undefined {
  const keepsFailed = (t: Pick<ExtraCheckTarget, 'account' | 'region' | 'stackName'>): boolean => {
    const r = opts.config.regions.find((x) => x.account === t.account && x.region === t.region);
    const s = r?.lambdaStacks.find((x) => x.stackName === t.stackName);
    return s !== undefined && failedEventsFor(opts.config, s) !== undefined;
  };
  const anyKeeps = opts.config.regions.some((r) => r.lambdaStacks.some((s) => failedEventsFor(opts.config, s)));
  if (!opts.taegis && !opts.config.monitoring && !anyKeeps) return undefined;
  return async (targets) => {
    const out = new Map<string, CheckResult[]>();
    const add = (t: ExtraCheckTarget, r: CheckResult): void => {
      const k = targetKey(t.account, t.region, t.stackName);
      out.set(k, [...(out.get(k) ?? []), r]);
    };
    const ready = targets.filter((t) => !t.blocked);
    const start = opts.now();
    const jobs: Promise<void>[] = [];
    if (opts.taegis) {
      for (const t of targets.filter((x) => x.blocked)) {
        add(t, result('taegis', 'skip', 'not run: an earlier check failed', start, start));
      }
      jobs.push(
        runTaegis(opts.taegis, ready, opts).then((rs) => {
          for (const t of ready) {
            const r = rs.get(targetKey(t.account, t.region, t.stackName));
            if (r) add(t, r);
          }
        }),
      );
    }
    if (opts.config.monitoring) {
      for (const t of targets) {
        jobs.push(alarmsCheck(clientsFor(t.account), t, opts.now).then((r) => add(t, r)));
      }
    }
    // Failed events are counted even when an earlier check failed: they are what was lost, whatever else is wrong.
    for (const t of targets.filter(keepsFailed)) {
      jobs.push(
        failedEventsCheck(clientsFor(t.account), t, failedEventsQueueName(t.stackName), opts.now).then((r) =>
          add(t, r),
        ),
      );
    }
    await Promise.all(jobs);
    return out;
  };
}

async function runTaegis(
  api: DataSourcesApi,
  targets: readonly ExtraCheckTarget[],
  opts: ExtraCheckOptions,
): Promise<Map<string, CheckResult>> {
  const sources: SourceTarget[] = targets.map((t) => {
    const s = opts.config.regions
      .find((r) => r.region === t.region)
      ?.lambdaStacks.find((x) => x.stackName === t.stackName);
    return {
      key: targetKey(t.account, t.region, t.stackName),
      hint: t.bucket,
      since: t.since,
      ...(s?.taegisSensorType !== undefined ? { sensorType: s.taegisSensorType } : {}),
      ...(s?.taegisSourceId !== undefined ? { sourceId: s.taegisSourceId } : {}),
    };
  });
  const outcomes = await waitForTaegisData(api, sources, {
    timeoutSeconds: opts.logTimeoutSeconds,
    now: opts.now,
    ...(opts.pollIntervalMs !== undefined ? { pollIntervalMs: opts.pollIntervalMs } : {}),
    ...(opts.sleep ? { sleep: opts.sleep } : {}),
    ...(opts.onTaegisProgress ? { onProgress: opts.onTaegisProgress } : {}),
  });
  const out = new Map<string, CheckResult>();
  for (const [key, o] of outcomes) {
    out.set(key, result('taegis', o.status, o.detail, o.startedAt, o.finishedAt, o.warnings));
  }
  return out;
}

/** ALARM fails, INSUFFICIENT_DATA warns, OK passes; no alarms at all fails (the monitoring stack is missing). */
export async function alarmsCheck(
  clients: AwsClientFactory,
  t: Pick<ExtraCheckTarget, 'region' | 'functionName'>,
  now: () => Date,
): Promise<CheckResult> {
  const start = now();
  if (!t.functionName) return result('alarms', 'skip', 'not run: the function is not known', start, now());
  const prefix = alarmPrefix(t.functionName);
  const alarms: MetricAlarm[] = [];
  try {
    const pages = paginateDescribeAlarms(
      { client: clients.cloudWatch(t.region) },
      { AlarmNamePrefix: prefix, AlarmTypes: ['MetricAlarm'] },
    );
    for await (const page of pages) alarms.push(...(page.MetricAlarms ?? []));
  } catch (err) {
    return result('alarms', 'fail', `reading alarms ${prefix}*: ${reasonOf(err)}`, start, now());
  }
  // Prefixes of two functions can nest (fn-a, fn-a-b): keep only this function's own alarms.
  const own = alarms.filter((a) => !(a.AlarmName ?? '').slice(prefix.length).includes(`${t.functionName}-`));
  if (own.length === 0) {
    return result(
      'alarms',
      'fail',
      `no alarms named ${prefix}*: deploy ${monitoringStackName(t.region)} (taegis-migrate deploy)`,
      start,
      now(),
    );
  }
  const name = (a: MetricAlarm): string => (a.AlarmName ?? '').slice(prefix.length);
  const inAlarm = own.filter((a) => a.StateValue === 'ALARM');
  const noData = own.filter((a) => a.StateValue === 'INSUFFICIENT_DATA');
  const states = own.map((a) => `${name(a)} ${a.StateValue ?? 'unknown'}`).join(', ');
  if (inAlarm.length > 0) {
    const why = inAlarm.map((a) => `${name(a)}: ${a.StateReason ?? 'in ALARM'}`).join('; ');
    return result('alarms', 'fail', `ALARM: ${why}`, start, now(), [states]);
  }
  if (noData.length > 0) {
    return result(
      'alarms',
      'warn',
      `${noData.map(name).join(', ')} INSUFFICIENT_DATA (new alarms need a period of data); ${states}`,
      start,
      now(),
    );
  }
  return result('alarms', 'pass', states, start, now());
}
