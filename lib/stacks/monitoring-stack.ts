import { ArnFormat, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import {
  ALARM_SUFFIXES,
  alarmPrefix,
  ERROR_LINES_METRIC,
  functionLogGroup,
  METRIC_NAMESPACE,
  UPLOADS_METRIC,
} from '../monitoring/names.js';
import { FAILED_EVENTS_ALARM_SUFFIX } from '../monitoring/failed-events.js';

/** The line every healthy Taegis function logs once it has shipped a batch (lib/verify/verify.ts SUCCESS_LINE). */
const SUCCESS_LINE = 'Uploading data to s3';

/** One migrated function to watch. */
export interface MonitoredFunction {
  /** The Lambda stack's CloudFormation name (for titles). */
  readonly stackName: string;
  /** The function's physical name; its logs are in `/aws/lambda/<name>`. */
  readonly functionName: string;
  /**
   * The function's failed-event queue (config `failedEvents`): an alarm fires while it holds a message.
   * @default - no queue, no alarm
   */
  readonly failedEventsQueueName?: string;
}

export interface MonitoringStackProps extends StackProps {
  readonly functions: readonly MonitoredFunction[];
  /**
   * Minutes without an upload line before the silence alarm fires.
   * @default 360
   */
  readonly silenceMinutes?: number;
  /**
   * An existing topic for the alarms.
   * @default - a new KMS-encrypted, TLS-only topic
   */
  readonly alarmTopicArn?: string;
  /**
   * E-mail subscriptions to the alarm topic.
   * @default none
   */
  readonly emails?: readonly string[];
}

/**
 * What stays behind after a migration, per target (account, region): for each function a metric filter counting
 * upload lines and one counting error lines, an alarm when uploads stay at zero for the silence window (no data at
 * all counts as silence), alarms on the function's Errors and Throttles, one dashboard, and the topic they notify.
 *
 * The log groups are not created or owned here: a metric filter needs its group to exist, and a group made by a
 * stack would clash with the one Lambda made on the function's first run (CloudFormation has no "create if
 * absent"). `taegis-migrate deploy` creates a missing `/aws/lambda/<fn>` group with the SDK right before this stack goes
 * out (lib/monitoring/log-groups.ts); Lambda then writes into it.
 */
export class MonitoringStack extends Stack {
  public readonly topic: sns.ITopic;
  public readonly alarms: cloudwatch.Alarm[] = [];
  public readonly dashboard: cloudwatch.Dashboard;
  /** The functions watched (their log groups must exist before this stack deploys). */
  public readonly functions: readonly MonitoredFunction[];

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    this.functions = props.functions;
    const silence = props.silenceMinutes ?? 360;

    if (props.alarmTopicArn !== undefined) {
      this.topic = sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn);
    } else {
      const key = new kms.Key(this, 'AlarmTopicKey', {
        description: 'taegis-migrate: encrypts the monitoring alarm topic',
        enableKeyRotation: true,
      });
      // CloudWatch publishes alarm notifications to the encrypted topic: it needs the key to do so.
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
        }),
      );
      this.topic = new sns.Topic(this, 'AlarmTopic', {
        displayName: 'taegis-migrate alarms',
        masterKey: key,
        enforceSSL: true,
      });
    }
    for (const email of props.emails ?? []) this.topic.addSubscription(new subs.EmailSubscription(email));
    const notify = new actions.SnsAction(this.topic);

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `taegis-migrate-${this.region}`,
      defaultInterval: Duration.days(1),
    });
    props.functions.forEach((f, i) => {
      const group = logs.LogGroup.fromLogGroupName(this, `LogGroup${i}`, functionLogGroup(f.functionName));
      const uploads = new logs.MetricFilter(this, `UploadsFilter${i}`, {
        logGroup: group,
        filterPattern: logs.FilterPattern.literal(`"${SUCCESS_LINE}"`),
        metricNamespace: METRIC_NAMESPACE,
        metricName: `${f.functionName}-${UPLOADS_METRIC}`,
        metricValue: '1',
        // Log events that do not match count as 0: a running but failing function is not "no data".
        defaultValue: 0,
      });
      const errorLines = new logs.MetricFilter(this, `ErrorLinesFilter${i}`, {
        logGroup: group,
        filterPattern: logs.FilterPattern.anyTerm('ERROR', 'FATAL', 'level=error'),
        metricNamespace: METRIC_NAMESPACE,
        metricName: `${f.functionName}-${ERROR_LINES_METRIC}`,
        metricValue: '1',
        defaultValue: 0,
      });
      const period = Duration.minutes(silence);
      // No label on the alarm's metric: a label turns the alarm into the `Metrics` (math) form.
      const uploadsMetric = uploads.metric({ statistic: 'Sum', period });
      const errorLinesMetric = errorLines.metric({
        statistic: 'Sum',
        period: Duration.minutes(5),
        label: 'error lines',
      });
      const fnMetric = (metricName: string): cloudwatch.Metric =>
        new cloudwatch.Metric({
          namespace: 'AWS/Lambda',
          metricName,
          dimensionsMap: { FunctionName: f.functionName },
          statistic: 'Sum',
          period: Duration.minutes(5),
        });
      const prefix = alarmPrefix(f.functionName);
      const silent = new cloudwatch.Alarm(this, `SilenceAlarm${i}`, {
        alarmName: `${prefix}${ALARM_SUFFIXES.silence}`,
        alarmDescription: `${f.stackName}: no "${SUCCESS_LINE}" from ${f.functionName} for ${silence} minutes; the Taegis integration is silent`,
        metric: uploadsMetric,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // No log events at all is the silence this alarm exists for.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      const errors = new cloudwatch.Alarm(this, `ErrorsAlarm${i}`, {
        alarmName: `${prefix}${ALARM_SUFFIXES.errors}`,
        alarmDescription: `${f.stackName}: ${f.functionName} reported invocation errors`,
        metric: fnMetric('Errors'),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      const throttles = new cloudwatch.Alarm(this, `ThrottlesAlarm${i}`, {
        alarmName: `${prefix}${ALARM_SUFFIXES.throttles}`,
        alarmDescription: `${f.stackName}: ${f.functionName} was throttled`,
        metric: fnMetric('Throttles'),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      const waiting =
        f.failedEventsQueueName === undefined
          ? []
          : [
              new cloudwatch.Alarm(this, `FailedEventsAlarm${i}`, {
                alarmName: `${prefix}${FAILED_EVENTS_ALARM_SUFFIX}`,
                alarmDescription: `${f.stackName}: events ${f.functionName} failed on wait in ${f.failedEventsQueueName}; fix the cause, then run taegis-migrate replay --stack ${f.stackName}`,
                metric: new cloudwatch.Metric({
                  namespace: 'AWS/SQS',
                  metricName: 'ApproximateNumberOfMessagesVisible',
                  dimensionsMap: { QueueName: f.failedEventsQueueName },
                  statistic: 'Maximum',
                  period: Duration.minutes(5),
                }),
                threshold: 1,
                comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                evaluationPeriods: 1,
                treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
              }),
            ];
      for (const a of [silent, errors, throttles, ...waiting]) {
        a.addAlarmAction(notify);
        a.addOkAction(notify);
        this.alarms.push(a);
      }
      this.dashboard.addWidgets(
        new cloudwatch.TextWidget({ markdown: `### ${f.stackName} - ${f.functionName}`, width: 24, height: 1 }),
        new cloudwatch.GraphWidget({
          title: `${f.functionName}: uploads and error lines`,
          left: [uploadsMetric.with({ label: 'uploads' })],
          right: [errorLinesMetric],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: `${f.functionName}: Errors and Throttles`,
          left: [fnMetric('Errors'), fnMetric('Throttles')],
          width: 8,
        }),
        new cloudwatch.AlarmStatusWidget({
          title: `${f.functionName}: alarms`,
          // By ARN built from the known names, not Fn::GetAtt: the dashboard needs no reference to the alarms
          // (and moto's CloudFormation cannot resolve an alarm's Arn attribute).
          alarms: [silent, errors, throttles].map((a, j) =>
            cloudwatch.Alarm.fromAlarmArn(
              this,
              `AlarmRef${i}x${j}`,
              this.formatArn({
                service: 'cloudwatch',
                resource: 'alarm',
                resourceName: (a.node.defaultChild as cloudwatch.CfnAlarm).alarmName!,
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              }),
            ),
          ),
          width: 8,
        }),
      );
    });
  }
}
