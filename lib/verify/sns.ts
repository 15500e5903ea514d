import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  GetTopicAttributesCommand,
  paginateListSubscriptionsByTopic,
  SubscribeCommand,
  UnsubscribeCommand,
  type SNSClient,
} from '@aws-sdk/client-sns';
import { RemovePermissionCommand } from '@aws-sdk/client-lambda';
import type { AwsClientFactory } from '../aws/clients.js';
import { awsErrorName } from '../aws/errors.js';
import { TaegisError } from '../util/errors.js';
import { addInvokePermission, functionPolicy } from './lambda-permission.js';
import type { BucketNotifications } from './notifications.js';
import { policyAllowsService } from './permission.js';
import {
  describeSnsPermission,
  parseTopicArn,
  planSnsRoute,
  SNS_PRINCIPAL,
  type SnsInvokePermission,
  type TopicSubscription,
} from './sns-route.js';
import { describeError, failed, record, type StackWork } from './work.js';

export const SNS_RECORD_KIND = 'taegis-migrate/sns-route-record' as const;

/** What verify added to an SNS route, written before the first write and completed after the last. */
export interface SnsRouteRecord {
  readonly kind: typeof SNS_RECORD_KIND;
  readonly version: 1;
  readonly region: string;
  readonly account: string;
  readonly stackName: string;
  readonly topicArn: string;
  readonly functionArn: string;
  readonly savedAt: string;
  readonly added: {
    readonly permission?: SnsInvokePermission;
    readonly subscription?: {
      readonly protocol: 'lambda';
      readonly endpoint: string;
      readonly subscriptionArn?: string;
    };
  };
  /** The commands that take the additions back out. */
  readonly undo: readonly string[];
}

export interface SnsRouteOptions {
  readonly dryRun: boolean;
  /** `verify --check`: anything the route would add is drift (fail), and nothing is written. @default false */
  readonly check?: boolean;
  readonly backupDir: string;
}

/**
 * The `sns` check of a stack with `snsNotificationArn`, after the trigger move of its bucket: the bucket notifies the
 * topic, the topic's policy lets the bucket publish (both the user's: reported with the fix, never changed), the
 * function is subscribed (protocol `lambda`) and may be invoked by SNS for this topic (both ours: added when missing,
 * after a record on disk; in a dry run only shown). The topic is reached with its own account's clients, the function
 * with the stack's.
 */
export async function checkSnsRoute(
  clientsOf: (account: string) => AwsClientFactory,
  w: StackWork,
  /** The bucket's configuration after the trigger move (what a dry run would leave). */
  bucketConfig: BucketNotifications | undefined,
  opts: SnsRouteOptions,
  now: () => Date,
): Promise<void> {
  const topicArn = w.snsTopicArn;
  // An earlier check failed: toStackResult reports `sns` as skipped.
  if (topicArn === undefined || failed(w) || !w.functionArn || !w.bucket || !bucketConfig) return;
  const start = now();
  const fail = (detail: string, warnings: readonly string[] = []): void =>
    record(w, 'sns', start, now, 'fail', detail, warnings);
  const topic = parseTopicArn(topicArn);
  if (!topic) return fail(`"snsNotificationArn" ${topicArn} is not an SNS topic ARN`);
  if (topic.region !== w.region)
    return fail(
      `topic ${topicArn} is in ${topic.region}, the bucket in ${w.region}: S3 notifies only topics of its own region (fix: use a topic in ${w.region})`,
    );
  try {
    let topicClients: AwsClientFactory;
    try {
      topicClients = clientsOf(topic.account);
    } catch {
      return fail(
        `topic ${topicArn} is in account ${topic.account}, which the config does not list, so verify cannot read it (fix: add a regions[] entry for ${topic.account} ${topic.region} with its "access", or subscribe the function and grant SNS yourself)`,
      );
    }
    const sns = topicClients.sns(topic.region);
    const lambda = clientsOf(w.account).lambda(w.region);
    const topicPolicy = await readTopicPolicy(sns, topicArn);
    if (topicPolicy === null)
      return fail(
        `topic ${topicArn} does not exist (fix: correct "snsNotificationArn", or remove it to have verify write a direct trigger)`,
      );
    const plan = planSnsRoute({
      stackName: w.stackName,
      topicArn,
      functionArn: w.functionArn,
      bucket: w.bucket,
      account: w.account,
      bucketConfig,
      ...(topicPolicy !== undefined ? { topicPolicy } : {}),
      subscriptions: await listSubscriptions(sns, topicArn),
      ...(await optional('functionPolicy', functionPolicy(lambda, w.functionArn))),
    });
    const todo = [
      ...(plan.permission ? [`add the SNS invoke permission (${describeSnsPermission(plan.permission)})`] : []),
      ...(plan.subscribe ? [`subscribe ${w.functionArn} to ${topicArn} (protocol lambda)`] : []),
    ];
    if (plan.problems.length > 0) {
      const would = todo.length > 0 ? `; nothing written (once fixed, verify will ${todo.join(' and ')})` : '';
      return fail(`${plan.problems.join('; ')}${would}`, plan.warnings);
    }
    if (todo.length === 0) {
      record(w, 'sns', start, now, 'pass', inPlace(topicArn, plan.subscription?.SubscriptionArn), plan.warnings);
      return;
    }
    if (opts.dryRun || opts.check === true) {
      if (opts.check === true)
        record(w, 'sns', start, now, 'fail', `drift: would ${todo.join('; would ')}`, plan.warnings);
      else record(w, 'sns', start, now, 'warn', `dry run: would ${todo.join('; would ')}`, plan.warnings);
      return;
    }

    // The record is on disk before the first write, so what is added is never unaccounted for.
    const base = {
      kind: SNS_RECORD_KIND,
      version: 1 as const,
      region: w.region,
      account: w.account,
      stackName: w.stackName,
      topicArn,
      functionArn: w.functionArn,
      savedAt: now().toISOString(),
    };
    const subscriptionAdded = { protocol: 'lambda' as const, endpoint: w.functionArn };
    const added = {
      ...(plan.permission ? { permission: plan.permission } : {}),
      ...(plan.subscribe ? { subscription: subscriptionAdded } : {}),
    };
    const file = recordFile(opts.backupDir, w.region, w.stackName, base.savedAt);
    writeRecord(file, { ...base, added, undo: undoCommands(w, plan.permission, undefined, plan.subscribe) }, 'wx');
    // Permission first: SNS delivers as soon as the subscription exists.
    if (plan.permission) {
      await addInvokePermission(lambda, { ...plan.permission, functionArn: w.functionArn }, async () =>
        policyAllowsService(await functionPolicy(lambda, w.functionArn!), SNS_PRINCIPAL, topicArn, topic.account),
      );
    }
    let subscriptionArn = plan.subscription?.SubscriptionArn;
    if (plan.subscribe) {
      const res = await sns.send(
        new SubscribeCommand({
          TopicArn: topicArn,
          Protocol: 'lambda',
          Endpoint: w.functionArn,
          ReturnSubscriptionArn: true,
        }),
      );
      subscriptionArn = res.SubscriptionArn;
      writeRecord(
        file,
        {
          ...base,
          added: { ...added, subscription: { ...subscriptionAdded, ...(subscriptionArn ? { subscriptionArn } : {}) } },
          undo: undoCommands(w, plan.permission, subscriptionArn, true),
        },
        'w',
      );
    }

    // Read back: the route must now be whole, as the next run will see it.
    const again = planSnsRoute({
      stackName: w.stackName,
      topicArn,
      functionArn: w.functionArn,
      bucket: w.bucket,
      account: w.account,
      bucketConfig,
      ...(topicPolicy !== undefined ? { topicPolicy } : {}),
      subscriptions: await listSubscriptions(sns, topicArn),
      ...(await optional('functionPolicy', functionPolicy(lambda, w.functionArn))),
    });
    if (again.subscribe || again.permission) {
      return fail(
        `added, but reading back the topic's subscriptions and the function's policy still misses ${again.subscribe ? 'the subscription' : 'the SNS permission'}; see record ${file}`,
        plan.warnings,
      );
    }
    record(
      w,
      'sns',
      start,
      now,
      'pass',
      `${todo.map((t) => t.replace(/^add/, 'added').replace(/^subscribe/, 'subscribed')).join('; ')}; read back ok; record ${file}`,
      plan.warnings,
    );
  } catch (err) {
    fail(`topic ${topicArn}: ${describeError(err)}`);
  }
}

function inPlace(topicArn: string, subscriptionArn: string | undefined): string {
  return `the bucket notifies ${topicArn} and may publish to it; the function is subscribed (${subscriptionArn ?? '?'}) and SNS may invoke it; nothing to change`;
}

/** The topic's Policy attribute; null when the topic does not exist (an expected state, reported). */
async function readTopicPolicy(sns: SNSClient, topicArn: string): Promise<string | undefined | null> {
  try {
    const res = await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }));
    return res.Attributes?.Policy;
  } catch (err) {
    if (awsErrorName(err) === 'NotFoundException' || awsErrorName(err) === 'NotFound') return null;
    throw err;
  }
}

async function listSubscriptions(sns: SNSClient, topicArn: string): Promise<TopicSubscription[]> {
  const out: TopicSubscription[] = [];
  for await (const page of paginateListSubscriptionsByTopic({ client: sns }, { TopicArn: topicArn })) {
    out.push(...(page.Subscriptions ?? []));
  }
  return out;
}

async function optional<K extends string>(key: K, p: Promise<string | undefined>): Promise<Partial<Record<K, string>>> {
  const v = await p;
  return v === undefined ? {} : ({ [key]: v } as Record<K, string>);
}

function undoCommands(
  w: StackWork,
  permission: SnsInvokePermission | undefined,
  subscriptionArn: string | undefined,
  subscribed: boolean,
): string[] {
  const topicRegion = parseTopicArn(w.snsTopicArn ?? '')?.region ?? w.region;
  return [
    ...(subscribed
      ? [
          `aws sns unsubscribe --region ${topicRegion} --subscription-arn ${subscriptionArn ?? '<the SubscriptionArn of the lambda subscription of the function>'}`,
        ]
      : []),
    ...(permission
      ? [
          `aws lambda remove-permission --region ${w.region} --function-name ${w.functionArn ?? permission.functionName} --statement-id ${permission.statementId}`,
        ]
      : []),
  ];
}

/** `<dir>/<region>_<stack>_sns_<time>.json`, a name not yet taken (the first write is exclusive anyway). */
function recordFile(dir: string, region: string, stackName: string, savedAt: string): string {
  mkdirSync(dir, { recursive: true });
  const base = path.resolve(dir, `${region}_${stackName}_sns_${savedAt.replace(/[:.]/g, '-')}`);
  for (let n = 0; ; n++) {
    const file = `${base}${n === 0 ? '' : `_${n}`}.json`;
    if (!existsSync(file)) return file;
  }
}

function writeRecord(file: string, rec: SnsRouteRecord, flag: 'wx' | 'w'): void {
  writeFileSync(file, `${JSON.stringify(rec, null, 2)}\n`, { flag });
}

/** Reads and checks an SNS route record; anything else is bad input (exit 2) and nothing is called. */
export function readSnsRecord(file: string, raw: unknown): SnsRouteRecord {
  const r = raw as Partial<SnsRouteRecord> | null;
  const problems: string[] = [];
  if (!r || typeof r !== 'object' || r.kind !== SNS_RECORD_KIND) problems.push(`"kind" is not "${SNS_RECORD_KIND}"`);
  else {
    if (r.version !== 1) problems.push('"version" is not 1');
    if (typeof r.account !== 'string' || !/^\d{12}$/.test(r.account))
      problems.push('"account" is not a 12-digit account id');
    if (typeof r.region !== 'string' || !/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/.test(r.region))
      problems.push('"region" is missing or invalid');
    if (typeof r.topicArn !== 'string' || !parseTopicArn(r.topicArn)) problems.push('"topicArn" is not a topic ARN');
    if (typeof r.functionArn !== 'string') problems.push('"functionArn" is missing');
    if (!r.added || typeof r.added !== 'object') problems.push('"added" is missing');
  }
  if (problems.length > 0) {
    throw new TaegisError(
      'INPUT_INVALID',
      `record ${file} is not a taegis-migrate SNS route record: ${problems.join('; ')}`,
      {
        fix: 'pass a <region>_<stack>_sns_<time>.json file written by "taegis-migrate verify" into its --backup-dir, unedited',
      },
    );
  }
  return r as SnsRouteRecord;
}

/**
 * Undoes what one verify run added to an SNS route (`verify restore --backup <record>`): unsubscribes the function and
 * removes the statement, each with its own account's clients. What is already gone is fine. Returns what was done.
 */
export async function undoSnsRoute(
  rec: SnsRouteRecord,
  clientsOf: (account: string) => AwsClientFactory,
): Promise<string[]> {
  const topic = parseTopicArn(rec.topicArn)!;
  const done: string[] = [];
  const sub = rec.added.subscription;
  if (sub) {
    const sns = clientsOf(topic.account).sns(topic.region);
    // A record whose run stopped before Subscribe answered has no ARN: find the function's subscription by endpoint.
    const arn =
      sub.subscriptionArn ??
      (await listSubscriptions(sns, rec.topicArn)).find((s) => s.Protocol === 'lambda' && s.Endpoint === sub.endpoint)
        ?.SubscriptionArn;
    if (arn) {
      try {
        await sns.send(new UnsubscribeCommand({ SubscriptionArn: arn }));
        done.push(`unsubscribed ${sub.endpoint} from ${rec.topicArn} (${arn})`);
      } catch (err) {
        if (awsErrorName(err) !== 'NotFoundException' && awsErrorName(err) !== 'NotFound') throw err;
        done.push(`subscription ${arn} was already gone`);
      }
    } else done.push(`no subscription of ${sub.endpoint} on ${rec.topicArn}: nothing to unsubscribe`);
  }
  const perm = rec.added.permission;
  if (perm) {
    try {
      await clientsOf(rec.account)
        .lambda(rec.region)
        .send(new RemovePermissionCommand({ FunctionName: rec.functionArn, StatementId: perm.statementId }));
      done.push(`removed statement ${perm.statementId} from ${perm.functionName}`);
    } catch (err) {
      if (awsErrorName(err) !== 'ResourceNotFoundException') throw err;
      done.push(`statement ${perm.statementId} of ${perm.functionName} was already gone`);
    }
  }
  return done;
}
