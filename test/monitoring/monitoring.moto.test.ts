import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { DescribeStackResourcesCommand, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeAlarmsCommand,
  GetDashboardCommand,
  PutMetricAlarmCommand,
  SetAlarmStateCommand,
} from '@aws-sdk/client-cloudwatch';
import {
  DescribeLogGroupsCommand,
  DescribeMetricFiltersCommand,
  PutMetricFilterCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureLogGroups } from '../../lib/monitoring/log-groups.js';
import { alarmsCheck } from '../../lib/verify/extra-checks.js';
import { MOTO_ACCOUNT, MOTO_CDK_DEPLOY_FLAGS, startMoto, type Moto } from '../support/moto.js';
import { run } from '../support/run.js';
import { putLogLines } from '../support/verify-seed.js';

const ROOT = path.join(import.meta.dirname, '..', '..');
const EXAMPLE = path.join(ROOT, 'assets', 'example');
const REGION = 'us-east-1';
const NEW_FN = 'fresh-lambda-scwx-tdr-lambda-awscloudtrail';
const OLD_FN = 'old-lambda-scwx-tdr-lambda-awsalb';

describe('the monitoring stack deployed with the real CDK CLI against moto, and verify reading its alarms', () => {
  let moto: Moto;
  let work: string;
  let configFile: string;

  beforeAll(async () => {
    moto = await startMoto();
    work = mkdtempSync(path.join(tmpdir(), 'taegis-moto-mon-'));
    configFile = path.join(work, 'taegis.config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        taegisRegion: 'ctpx',
        artifactsDir: EXAMPLE,
        regions: [
          {
            region: REGION,
            account: MOTO_ACCOUNT,
            lambdaStacks: [
              { stackName: 'fresh-lambda', integrationType: 'awscloudtrail', notificationBucket: 'fresh-logs' },
              { stackName: 'old-lambda', integrationType: 'awsalb', notificationBucket: 'old-logs' },
            ],
          },
        ],
        monitoring: { silenceMinutes: 60, emails: ['secops@example.com'] },
      }),
    );
  });
  afterAll(async () => {
    await moto?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('GIVEN one function that never ran and one with logs WHEN groups are ensured and the stack deployed THEN filters, alarms and the alarms check work', async () => {
    const clients = moto.clients();
    const logs = clients.logs(REGION);
    const cw = clients.cloudWatch(REGION);
    // GIVEN the old function has a group with events (and a retention someone set); the fresh one has none.
    await putLogLines(clients, REGION, OLD_FN, ['Uploading data to s3 ok']);

    // WHEN the groups are ensured (what npm run deploy does before a monitoring stack) ...
    const created = await ensureLogGroups(
      () => clients,
      [
        { account: MOTO_ACCOUNT, region: REGION, logGroupName: `/aws/lambda/${NEW_FN}` },
        { account: MOTO_ACCOUNT, region: REGION, logGroupName: `/aws/lambda/${OLD_FN}` },
      ],
    );
    // ... only the missing one is made; the existing one is left alone.
    expect(created.map((g) => g.logGroupName)).toEqual([`/aws/lambda/${NEW_FN}`]);

    // ... and the monitoring stack alone is deployed by the real CDK CLI with moto's flags.
    const cdkOut = path.join(work, 'cdk.out');
    const cdk = (...args: string[]) =>
      run('npx', ['cdk', ...args, '-c', `config=${configFile}`, '--output', cdkOut], { cwd: ROOT, env: moto.env });
    const boot = await cdk('bootstrap', `aws://${MOTO_ACCOUNT}/${REGION}`);
    expect(boot.code, boot.stderr).toBe(0);
    const deployed = await cdk('deploy', `TaegisMonitoring-${REGION}`, ...MOTO_CDK_DEPLOY_FLAGS);
    expect(deployed.code, deployed.stderr).toBe(0);
    const stack = (
      await clients.cloudFormation(REGION).send(new DescribeStacksCommand({ StackName: `TaegisMonitoring-${REGION}` }))
    ).Stacks?.[0];
    expect(stack?.StackStatus).toBe('CREATE_COMPLETE');

    // moto's CloudFormation has no model for AWS::Logs::MetricFilter or AWS::CloudWatch::Alarm: it skips them and
    // the stack still completes (the topic, key, subscription and dashboard are made). So the filters and alarms of
    // the deployed template are put through moto's Logs and CloudWatch APIs exactly as written.
    const template = JSON.parse(
      readFileSync(path.join(cdkOut, `TaegisMonitoring-${REGION}.template.json`), 'utf8'),
    ) as {
      Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
    };
    const filters = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Logs::MetricFilter');
    expect(filters).toHaveLength(4);
    for (const f of filters) {
      const p = f.Properties as {
        LogGroupName: string;
        FilterPattern: string;
        MetricTransformations: {
          MetricName: string;
          MetricNamespace: string;
          MetricValue: string;
          DefaultValue: number;
        }[];
      };
      await logs.send(
        new PutMetricFilterCommand({
          logGroupName: p.LogGroupName,
          filterName: `${p.MetricTransformations[0]!.MetricName}`,
          filterPattern: p.FilterPattern,
          metricTransformations: p.MetricTransformations.map((m) => ({
            metricName: m.MetricName,
            metricNamespace: m.MetricNamespace,
            metricValue: m.MetricValue,
            defaultValue: m.DefaultValue,
          })),
        }),
      );
    }
    // (moto also accepts a filter on a group that does not exist; AWS answers ResourceNotFoundException there.)
    const resources = await clients
      .cloudFormation(REGION)
      .send(new DescribeStackResourcesCommand({ StackName: `TaegisMonitoring-${REGION}` }));
    const physical = new Map((resources.StackResources ?? []).map((r) => [r.LogicalResourceId, r.PhysicalResourceId]));
    const topicArn = [...physical.entries()].find(
      ([id]) => id?.startsWith('AlarmTopic') && !id.includes('Key') && !id.includes('Policy'),
    )?.[1];
    expect(topicArn).toMatch(/^arn:aws:sns:us-east-1:123456789012:/);
    const ref = (v: unknown): string => {
      const id = (v as { Ref?: string }).Ref;
      return id !== undefined ? (physical.get(id) ?? `unresolved ${id}`) : String(v);
    };
    for (const a of Object.values(template.Resources).filter((r) => r.Type === 'AWS::CloudWatch::Alarm')) {
      const p = a.Properties;
      await cw.send(
        new PutMetricAlarmCommand({
          AlarmName: p.AlarmName as string,
          AlarmDescription: p.AlarmDescription as string,
          Namespace: p.Namespace as string,
          MetricName: p.MetricName as string,
          Statistic: p.Statistic as 'Sum',
          Period: p.Period as number,
          EvaluationPeriods: p.EvaluationPeriods as number,
          Threshold: p.Threshold as number,
          ComparisonOperator: p.ComparisonOperator as 'LessThanThreshold',
          TreatMissingData: p.TreatMissingData as string,
          Dimensions: (p.Dimensions as { Name: string; Value: string }[] | undefined) ?? [],
          AlarmActions: (p.AlarmActions as unknown[]).map(ref),
          OKActions: (p.OKActions as unknown[]).map(ref),
        }),
      );
    }
    const dashboard = await cw.send(new GetDashboardCommand({ DashboardName: `taegis-migrate-${REGION}` }));
    for (const fn of [NEW_FN, OLD_FN]) expect(dashboard.DashboardBody).toContain(`${fn}: alarms`);

    // THEN each function's group has its two filters ...
    for (const fn of [NEW_FN, OLD_FN]) {
      const filters = await logs.send(new DescribeMetricFiltersCommand({ logGroupName: `/aws/lambda/${fn}` }));
      expect((filters.metricFilters ?? []).map((f) => f.metricTransformations?.[0]?.metricName).sort()).toEqual([
        `${fn}-ErrorLines`,
        `${fn}-UploadsToS3`,
      ]);
    }
    const groups = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/lambda/' }));
    expect(groups.logGroups?.map((g) => g.logGroupName).sort()).toEqual([
      `/aws/lambda/${NEW_FN}`,
      `/aws/lambda/${OLD_FN}`,
    ]);

    // ... and three alarms, the silence one breaching on missing data over the configured window.
    const alarms = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: `taegis-migrate-${NEW_FN}-` }));
    const byName = new Map((alarms.MetricAlarms ?? []).map((a) => [a.AlarmName, a]));
    expect([...byName.keys()].sort()).toEqual([
      `taegis-migrate-${NEW_FN}-errors`,
      `taegis-migrate-${NEW_FN}-throttles`,
      `taegis-migrate-${NEW_FN}-uploads-silent`,
    ]);
    const silent = byName.get(`taegis-migrate-${NEW_FN}-uploads-silent`)!;
    expect(silent.TreatMissingData).toBe('breaching');
    expect(silent.Period).toBe(3600);
    expect(silent.ComparisonOperator).toBe('LessThanThreshold');
    expect(silent.AlarmActions?.[0]).toMatch(/^arn:aws:sns:us-east-1:123456789012:/);

    // AND verify's alarms check reads their states (set through moto's SetAlarmState): all OK passes ...
    const now = () => new Date();
    for (const name of byName.keys()) {
      await cw.send(new SetAlarmStateCommand({ AlarmName: name, StateValue: 'OK', StateReason: 'test: healthy' }));
    }
    const ok = await alarmsCheck(clients, { region: REGION, functionName: NEW_FN }, now);
    expect(ok.status, ok.detail).toBe('pass');
    expect(ok.detail).toBe('uploads-silent OK, errors OK, throttles OK');
    // ... an alarm without data yet (as on AWS right after creation) warns ...
    await cw.send(
      new SetAlarmStateCommand({
        AlarmName: `taegis-migrate-${NEW_FN}-throttles`,
        StateValue: 'INSUFFICIENT_DATA',
        StateReason: 'test: no data yet',
      }),
    );
    const fresh = await alarmsCheck(clients, { region: REGION, functionName: NEW_FN }, now);
    expect(fresh.status, fresh.detail).toBe('warn');
    expect(fresh.detail).toMatch(/^throttles INSUFFICIENT_DATA/);
    // ... and a silent integration fails, with the alarm's reason.
    await cw.send(
      new SetAlarmStateCommand({
        AlarmName: `taegis-migrate-${NEW_FN}-uploads-silent`,
        StateValue: 'ALARM',
        StateReason: 'Threshold Crossed: no uploads for 60 minutes',
      }),
    );
    const silentNow = await alarmsCheck(clients, { region: REGION, functionName: NEW_FN }, now);
    expect(silentNow.status).toBe('fail');
    expect(silentNow.detail).toBe('ALARM: uploads-silent: Threshold Crossed: no uploads for 60 minutes');
    // The other function's alarms are its own: untouched by the state changes above.
    const other = await alarmsCheck(clients, { region: REGION, functionName: OLD_FN }, now);
    expect(other.status, other.detail).toBe('pass');
    // A function with no monitoring deployed fails with the fix.
    const none = await alarmsCheck(clients, { region: REGION, functionName: 'not-monitored' }, now);
    expect(none.status).toBe('fail');
    expect(none.detail).toMatch(/deploy TaegisMonitoring-us-east-1/);
  }, 600_000);
});
