import type { TopicConfiguration } from '@aws-sdk/client-s3';
import { isVendorFunctionOf } from '../facts/taegis.js';
import { describeEntry, parseLambdaArn, type BucketNotifications } from './notifications.js';
import { asArray, globMatch, policyAllowsService } from './permission.js';

/**
 * The pure part of the SNS route (a stack with `snsNotificationArn`): the bucket publishes to a topic, the topic
 * invokes the function. What is missing, what verify may add (the subscription and the function's permission for
 * SNS: ours) and what it only reports (the bucket's topic entry and the topic's policy: the user's). No AWS I/O here.
 */

export const SNS_PRINCIPAL = 'sns.amazonaws.com';

export interface ParsedTopicArn {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly name: string;
}

export function parseTopicArn(arn: string): ParsedTopicArn | undefined {
  const m = /^arn:([a-z-]+):sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_.-]{1,256})$/.exec(arn);
  if (!m) return undefined;
  const [, partition = '', region = '', account = '', name = ''] = m;
  return { partition, region, account, name };
}

/** The statement verify adds to the function's policy: SNS may invoke it for this topic only. */
export interface SnsInvokePermission {
  readonly statementId: string;
  readonly functionName: string;
  readonly principal: typeof SNS_PRINCIPAL;
  readonly action: 'lambda:InvokeFunction';
  readonly sourceArn: string;
}

/** Statement ids allow `[A-Za-z0-9-_.]`, at most 100 chars. */
export function snsPermissionStatementId(topicArn: string): string {
  const name = parseTopicArn(topicArn)?.name ?? topicArn;
  return `taegis-sns-${name}`.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 100);
}

/** A subscription of the topic, as ListSubscriptionsByTopic returns it. */
export interface TopicSubscription {
  readonly SubscriptionArn?: string;
  readonly Protocol?: string;
  readonly Endpoint?: string;
}

/** What the topic's access policy says about S3 publishing for one bucket. */
export interface TopicPolicyVerdict {
  readonly allows: boolean;
  readonly warnings: readonly string[];
}

type Json = Record<string, unknown>;

const S3_SERVICE = 's3.amazonaws.com';
/** Condition operators whose values we can compare (`...IfExists` forms too). */
const ARN_OPS = /^(ArnLike|ArnEquals|StringEquals|StringLike)(IfExists)?$/;

/**
 * Does the topic's policy let `s3.amazonaws.com` publish for `bucketArn` (owned by `account`)? An Allow statement
 * counts when its principal is the S3 service (or everyone), its action covers `sns:Publish`, its resource the topic,
 * and its `aws:SourceArn` / `aws:SourceAccount` conditions (when present) match the bucket. `AWS:SourceOwner` (in the
 * default policy) is not set for S3's publishes, so such a statement does not count. Condition keys we cannot judge
 * make a statement count with a warning, rather than fail a route that may well work.
 */
export function topicPolicyAllowsBucket(
  policyJson: string | undefined,
  topicArn: string,
  bucketArn: string,
  account: string,
): TopicPolicyVerdict {
  if (!policyJson) return { allows: false, warnings: [] };
  let policy: Json;
  try {
    policy = JSON.parse(policyJson) as Json;
  } catch {
    return { allows: false, warnings: ['the topic policy is not valid JSON'] };
  }
  const warnings: string[] = [];
  let allows = false;
  for (const s of asArray(policy.Statement) as Json[]) {
    if (!principalIsS3(s.Principal) || !actionsPublish(s.Action) || !resourceIs(s.Resource, topicArn)) continue;
    const sid = typeof s.Sid === 'string' ? ` ${s.Sid}` : '';
    if (s.Effect === 'Deny') {
      warnings.push(`statement${sid} denies publishing to some callers; check that it spares ${bucketArn}`);
      continue;
    }
    if (s.Effect !== 'Allow') continue;
    const judged = judgeConditions(s.Condition, bucketArn, account);
    if (judged === 'no') continue;
    allows = true;
    if (judged === 'unconditioned')
      warnings.push(
        `statement${sid} lets any bucket publish (no aws:SourceArn or aws:SourceAccount condition); consider limiting it to ${bucketArn}`,
      );
    if (Array.isArray(judged))
      warnings.push(`statement${sid} has conditions verify cannot judge (${judged.join(', ')}); taken as allowing`);
  }
  return { allows, warnings };
}

function principalIsS3(p: unknown): boolean {
  if (p === '*') return true;
  if (typeof p !== 'object' || p === null) return false;
  const o = p as Json;
  return asArray(o.Service).includes(S3_SERVICE) || asArray(o.AWS).includes('*');
}

function actionsPublish(a: unknown): boolean {
  return asArray(a).some((x) => /^(sns:publish|sns:\*|\*)$/i.test(String(x)));
}

function resourceIs(r: unknown, topicArn: string): boolean {
  // A topic policy without Resource applies to its topic.
  return r === undefined || asArray(r).some((x) => globMatch(String(x), topicArn));
}

/** 'yes' (conditions match), 'no', 'unconditioned' (no source condition at all), or the keys we could not judge. */
function judgeConditions(
  condition: unknown,
  bucketArn: string,
  account: string,
): 'yes' | 'no' | 'unconditioned' | string[] {
  const blocks = (condition ?? {}) as Record<string, Json>;
  let sourceSeen = false;
  const unknown: string[] = [];
  for (const [op, block] of Object.entries(blocks)) {
    for (const [key, value] of Object.entries(block ?? {})) {
      const k = key.toLowerCase();
      const values = asArray(value).map(String);
      if (k === 'aws:sourcearn' && ARN_OPS.test(op)) {
        sourceSeen = true;
        if (!values.some((v) => globMatch(v, bucketArn))) return 'no';
      } else if (k === 'aws:sourceaccount' && ARN_OPS.test(op)) {
        sourceSeen = true;
        if (!values.some((v) => globMatch(v, account))) return 'no';
      } else if (k === 'aws:sourceowner') {
        return 'no';
      } else {
        unknown.push(`${op} ${key}`);
      }
    }
  }
  if (unknown.length > 0) return unknown;
  return sourceSeen ? 'yes' : 'unconditioned';
}

/** The statement to add to the topic's policy so the bucket may publish (the fix verify prints, never writes). */
export function topicPolicyStatement(topicArn: string, bucketArn: string, account: string): Json {
  return {
    Sid: 'taegis-s3-publish',
    Effect: 'Allow',
    Principal: { Service: S3_SERVICE },
    Action: 'SNS:Publish',
    Resource: topicArn,
    Condition: { ArnLike: { 'aws:SourceArn': bucketArn }, StringEquals: { 'aws:SourceAccount': account } },
  };
}

export interface SnsRouteFacts {
  readonly stackName: string;
  readonly topicArn: string;
  /** The function's unqualified ARN. */
  readonly functionArn: string;
  readonly bucket: string;
  /** The bucket's (and the stack's) account. */
  readonly account: string;
  /** The bucket's configuration as it is after the trigger move (or would be, in a dry run). */
  readonly bucketConfig: BucketNotifications;
  /** The topic's `Policy` attribute. @default - none */
  readonly topicPolicy?: string;
  readonly subscriptions: readonly TopicSubscription[];
  /** The function's resource policy. @default - none yet */
  readonly functionPolicy?: string;
}

export interface SnsRoutePlan {
  /** The bucket's entries for the topic. */
  readonly topicEntries: readonly TopicConfiguration[];
  /** The subscription of the function, when there is one. */
  readonly subscription?: TopicSubscription;
  /** True when verify must subscribe the function (protocol `lambda`). */
  readonly subscribe: boolean;
  /** The permission verify must add, when SNS may not invoke the function yet. */
  readonly permission?: SnsInvokePermission;
  /** What is wrong that verify does not change (the user's bucket and topic), each with its fix: the check fails. */
  readonly problems: readonly string[];
  readonly warnings: readonly string[];
}

/** Decides the SNS route of one stack from what was read. */
export function planSnsRoute(f: SnsRouteFacts): SnsRoutePlan {
  const partition = parseTopicArn(f.topicArn)?.partition ?? 'aws';
  const bucketArn = `arn:${partition}:s3:::${f.bucket}`;
  const problems: string[] = [];
  const warnings: string[] = [];

  const topicEntries = (f.bucketConfig.TopicConfigurations ?? []).filter((e) => e.TopicArn === f.topicArn);
  if (topicEntries.length === 0) {
    problems.push(
      `bucket ${f.bucket} does not notify topic ${f.topicArn}, so no object reaches the function (fix: add a topic entry for s3:ObjectCreated:* to the bucket's event notifications, or remove "snsNotificationArn" from the config to have verify write a direct trigger)`,
    );
  } else if (!topicEntries.some((e) => (e.Events ?? []).some((ev) => ev.startsWith('s3:ObjectCreated:')))) {
    warnings.push(
      `the bucket's entries for the topic send no s3:ObjectCreated events (${topicEntries.map((e) => describeEntry('topic', e)).join('; ')}): new log files are not announced`,
    );
  }

  const policy = topicPolicyAllowsBucket(f.topicPolicy, f.topicArn, bucketArn, f.account);
  warnings.push(...policy.warnings);
  if (!policy.allows) {
    problems.push(
      `the policy of topic ${f.topicArn} does not let ${S3_SERVICE} publish for ${bucketArn} (fix: add this statement to the topic's access policy, keeping the others: ${JSON.stringify(topicPolicyStatement(f.topicArn, bucketArn, f.account))})`,
    );
  }

  const lambdaSubs = f.subscriptions.filter((s) => s.Protocol === 'lambda');
  const subscription = lambdaSubs.find((s) => s.Endpoint === f.functionArn);
  for (const s of lambdaSubs) {
    const p = parseLambdaArn(s.Endpoint ?? '');
    if (!p || s === subscription) continue;
    if (p.unqualifiedArn === f.functionArn)
      warnings.push(`the topic also invokes ${s.Endpoint} (a version or alias of the function): objects arrive twice`);
    else if (isVendorFunctionOf(p.name, f.stackName))
      warnings.push(
        `the topic also invokes ${s.Endpoint}, another Taegis function of ${f.stackName}; if it is the old one, unsubscribe ${s.SubscriptionArn ?? 'it'}`,
      );
  }

  const name = parseLambdaArn(f.functionArn)?.name ?? f.functionArn;
  const permitted = policyAllowsService(
    f.functionPolicy,
    SNS_PRINCIPAL,
    f.topicArn,
    parseTopicArn(f.topicArn)?.account ?? f.account,
  );
  return {
    topicEntries,
    ...(subscription ? { subscription } : {}),
    subscribe: subscription === undefined,
    ...(permitted
      ? {}
      : {
          permission: {
            statementId: snsPermissionStatementId(f.topicArn),
            functionName: name,
            principal: SNS_PRINCIPAL,
            action: 'lambda:InvokeFunction' as const,
            sourceArn: f.topicArn,
          },
        }),
    problems,
    warnings,
  };
}

export function describeSnsPermission(p: SnsInvokePermission): string {
  return `${p.functionName}: ${p.principal} may ${p.action} (Sid ${p.statementId}, SourceArn ${p.sourceArn})`;
}
