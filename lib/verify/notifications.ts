import type {
  FilterRule,
  LambdaFunctionConfiguration,
  NotificationConfiguration,
  QueueConfiguration,
  TopicConfiguration,
} from '@aws-sdk/client-s3';
import { parseLambdaArn } from '../aws/lambda-arn.js';
import { isVendorFunctionOf, looksLikeVendorFunction } from '../facts/taegis.js';

/**
 * The pure part of the trigger move: which entries of a bucket's notification configuration are stale,
 * which are kept, what the desired entry looks like and whether the result is valid. No AWS I/O here.
 *
 * Foreign entries (everything not ours) are passed through as the exact objects read, in their order,
 * because real S3 replaces the whole configuration on every put.
 */

/** A bucket notification configuration as read (no `$metadata`). */
export type BucketNotifications = Omit<NotificationConfiguration, never>;

/** Default events of a new trigger when there is no stale entry to inherit from. */
export const DEFAULT_EVENTS: readonly string[] = ['s3:ObjectCreated:*'];

/** Events and key filter of the entry to write, from the stack's config (`lambdaStacks[].trigger`). */
export interface TriggerSettings {
  /** @default DEFAULT_EVENTS */
  readonly events?: readonly string[];
  readonly prefix?: string;
  readonly suffix?: string;
}

/** One stack's function that should be triggered by the bucket. */
export interface TriggerTarget {
  /** The stack's name; used to attribute stale entries and in messages. */
  readonly stackName: string;
  /** The function's unqualified ARN (`arn:aws:lambda:REGION:ACCOUNT:function:NAME`). */
  readonly functionArn: string;
  /** The configured trigger; the new entry then takes these instead of inheriting. @default - inherit or default */
  readonly trigger?: TriggerSettings;
  /**
   * The SNS topic the bucket reaches this function through (the stack's `SNSNotificationarn`): no direct entry is
   * added for it (the topic already delivers each object), its stale entries are still removed.
   * @default - a direct trigger
   */
  readonly viaTopic?: string;
}

/** The events and filter of an entry written from configured settings (lowercase rule names: moto wants them). */
export function entryScope(t: TriggerSettings): Pick<LambdaFunctionConfiguration, 'Events' | 'Filter'> {
  const rules: FilterRule[] = [
    ...(t.prefix !== undefined ? [{ Name: 'prefix' as const, Value: t.prefix }] : []),
    ...(t.suffix !== undefined ? [{ Name: 'suffix' as const, Value: t.suffix }] : []),
  ];
  return {
    Events: [...(t.events ?? DEFAULT_EVENTS)] as LambdaFunctionConfiguration['Events'],
    ...(rules.length > 0 ? { Filter: { Key: { FilterRules: rules } } } : {}),
  };
}

// Shared with discover, which must read a qualified entry the way verify treats it.
export { parseLambdaArn, type ParsedLambdaArn } from '../aws/lambda-arn.js';

export function isTaegisFunctionName(name: string): boolean {
  return looksLikeVendorFunction(name);
}

/**
 * Unqualified ARNs of Taegis functions the configuration targets that are not one of `targets`:
 * the caller must find out which of them still exist (a gone one makes its entry stale).
 */
export function taegisFunctionsToCheck(current: BucketNotifications, targets: readonly TriggerTarget[]): string[] {
  const known = new Set(targets.map((t) => t.functionArn));
  const out = new Set<string>();
  for (const e of current.LambdaFunctionConfigurations ?? []) {
    const p = parseLambdaArn(e.LambdaFunctionArn ?? '');
    if (p && isTaegisFunctionName(p.name) && !known.has(p.unqualifiedArn)) out.add(p.unqualifiedArn);
  }
  return [...out];
}

/** A prefix/suffix key filter, read with case-insensitive rule names (AWS returns `Prefix`, moto wants `prefix`). */
export interface KeyFilter {
  readonly prefix: string;
  readonly suffix: string;
}

export function keyFilterOf(entry: { Filter?: { Key?: { FilterRules?: FilterRule[] } } }): KeyFilter {
  let prefix = '';
  let suffix = '';
  for (const rule of entry.Filter?.Key?.FilterRules ?? []) {
    const name = String(rule.Name ?? '').toLowerCase();
    if (name === 'prefix') prefix = rule.Value ?? '';
    else if (name === 'suffix') suffix = rule.Value ?? '';
  }
  return { prefix, suffix };
}

/** Same events and the same key filter: two entries that deliver exactly the same objects. */
type Scoped = Pick<LambdaFunctionConfiguration, 'Events' | 'Filter'>;
function sameScope(a: Scoped, b: Scoped): boolean {
  const events = (e: Scoped): string => [...(e.Events ?? [])].sort().join(',');
  const fa = keyFilterOf(a);
  const fb = keyFilterOf(b);
  return events(a) === events(b) && fa.prefix === fb.prefix && fa.suffix === fb.suffix;
}

/**
 * True when every object event `inner` matches, `outer` matches too: each of inner's events is covered by one of
 * outer's, and outer's prefix and suffix are a prefix and suffix of inner's.
 */
export function scopeCovers(outer: Scoped, inner: Scoped): boolean {
  const covered = (inner.Events ?? []).every((ei) =>
    (outer.Events ?? []).some((eo) => eo === ei || (eo.endsWith('*') && ei.startsWith(eo.slice(0, -1)))),
  );
  const fo = keyFilterOf(outer);
  const fi = keyFilterOf(inner);
  return covered && fi.prefix.startsWith(fo.prefix) && fi.suffix.endsWith(fo.suffix);
}

/** True when two S3 event types can match the same event (`s3:ObjectCreated:*` covers `s3:ObjectCreated:Put`). */
export function eventsOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  const covers = (wild: string, other: string): boolean => wild.endsWith('*') && other.startsWith(wild.slice(0, -1));
  return covers(a, b) || covers(b, a);
}

/**
 * S3's own rule: two entries are "ambiguously defined" when they share an event type and their prefixes overlap
 * (one starts with the other) and their suffixes overlap (one ends with the other). An empty prefix or suffix
 * overlaps everything.
 */
export function entriesOverlap(
  a: { Events?: string[]; Filter?: { Key?: { FilterRules?: FilterRule[] } } },
  b: { Events?: string[]; Filter?: { Key?: { FilterRules?: FilterRule[] } } },
): boolean {
  const sharedEvent = (a.Events ?? []).some((ea) => (b.Events ?? []).some((eb) => eventsOverlap(ea, eb)));
  if (!sharedEvent) return false;
  const fa = keyFilterOf(a);
  const fb = keyFilterOf(b);
  const prefixes = fa.prefix.startsWith(fb.prefix) || fb.prefix.startsWith(fa.prefix);
  const suffixes = fa.suffix.endsWith(fb.suffix) || fb.suffix.endsWith(fa.suffix);
  return prefixes && suffixes;
}

export type EntryKind = 'lambda' | 'queue' | 'topic';
export type AnyEntry = LambdaFunctionConfiguration | QueueConfiguration | TopicConfiguration;

/** A short, stable description of an entry for reports: `lambda <id> -> <arn> [events] prefix=.. suffix=..`. */
export function describeEntry(kind: EntryKind, entry: AnyEntry): string {
  const target =
    kind === 'lambda'
      ? (entry as LambdaFunctionConfiguration).LambdaFunctionArn
      : kind === 'queue'
        ? (entry as QueueConfiguration).QueueArn
        : (entry as TopicConfiguration).TopicArn;
  const f = keyFilterOf(entry);
  const filter = [f.prefix ? `prefix=${f.prefix}` : '', f.suffix ? `suffix=${f.suffix}` : ''].filter(Boolean).join(' ');
  return `${kind} ${entry.Id ?? '(no id)'} -> ${target ?? '?'} [${(entry.Events ?? []).join(',')}]${filter ? ` ${filter}` : ''}`;
}

export type StaleReason = 'qualified-or-duplicate' | 'function-gone';

export interface RemovedEntry {
  readonly entry: LambdaFunctionConfiguration;
  readonly reason: StaleReason;
  /** The stack whose trigger replaces it, when it could be attributed. */
  readonly stackName?: string;
}

export interface StackTriggerPlan {
  readonly stackName: string;
  readonly functionArn: string;
  /** `in-place`: an unqualified entry for the function already existed and is kept as read. */
  readonly status: 'in-place' | 'added';
  /** The desired entry (as read when in place, else the new one). */
  readonly desired: LambdaFunctionConfiguration;
  /** The stale entry whose events and filter the new entry inherited. */
  readonly inheritedFrom?: LambdaFunctionConfiguration;
  /** True when the new entry's events and filter come from the stack's configured `trigger`. */
  readonly fromConfig?: boolean;
}

/** A stack whose bucket reaches its function through an SNS topic: no direct entry of ours. */
export interface TopicRoutePlan {
  readonly stackName: string;
  readonly functionArn: string;
  readonly topicArn: string;
  /** Stale entries removed for this stack whose objects no kept entry for the topic covers: those objects go dark. */
  readonly uncovered: readonly LambdaFunctionConfiguration[];
  /** A direct entry of the function itself, kept as read (real S3 lets it coexist only on other objects). */
  readonly directKept?: LambdaFunctionConfiguration;
}

export interface Overlap {
  readonly stackName: string;
  readonly desired: string;
  readonly conflictsWith: string;
}

export interface MergePlan {
  /** The configuration to put: foreign entries as the same objects, in order; stale removed; desired in place. */
  readonly merged: BucketNotifications;
  /** True when `merged` differs from the configuration read, i.e. a put is needed. */
  readonly changed: boolean;
  readonly removed: readonly RemovedEntry[];
  readonly stacks: readonly StackTriggerPlan[];
  /** The targets reached through an SNS topic (`viaTopic`): they get no entry in `stacks`. */
  readonly viaTopic: readonly TopicRoutePlan[];
  /** Kept entries that are not ours, for the report. */
  readonly kept: readonly { readonly kind: EntryKind; readonly entry: AnyEntry }[];
  /** Desired entries that would overlap a kept entry: real S3 rejects the put; nothing may be written. */
  readonly overlaps: readonly Overlap[];
  readonly warnings: readonly string[];
}

export interface MergeInput {
  readonly current: BucketNotifications;
  readonly targets: readonly TriggerTarget[];
  /** Unqualified ARNs of Taegis functions found not to exist (from `taegisFunctionsToCheck`). */
  readonly goneFunctions: ReadonlySet<string>;
  /**
   * Stacks on this bucket whose trigger is not moved this run (an earlier check failed): entries that name them are
   * left exactly as they are.
   * @default - none
   */
  readonly heldStacks?: readonly string[];
}

/** The Id of a new trigger entry: deterministic, so reports and reruns are stable (S3 allows up to 255 chars). */
export function desiredEntryId(functionName: string): string {
  return `taegis-migrate-${functionName}`.slice(0, 255);
}

/**
 * Plans the new configuration of one bucket for all the stacks that log to it.
 *
 * Stale: Lambda entries that target one of the targets' functions but are not its desired entry (qualified ARN,
 * or a second entry), and entries that target a Taegis function known to be gone. Stale entries are attributed
 * to a stack (same function, else a gone function named `<stack>-scwx-tdr-lambda-*`, else in order to stacks
 * that still lack one) so the new entry inherits the events and key filter of the entry it replaces.
 */
export function planBucketNotifications(input: MergeInput): MergePlan {
  const { current, targets, goneFunctions } = input;
  const held = input.heldStacks ?? [];
  const lambdas = current.LambdaFunctionConfigurations ?? [];
  const warnings: string[] = [];

  const byArn = new Map(targets.map((t) => [t.functionArn, t]));
  const inPlace = new Map<string, LambdaFunctionConfiguration>(); // stack -> existing unqualified entry
  const attributed = new Map<string, LambdaFunctionConfiguration[]>(); // stack -> stale entries it replaces
  const unattributed: LambdaFunctionConfiguration[] = [];
  const removedSet = new Set<LambdaFunctionConfiguration>();
  const removedReason = new Map<LambdaFunctionConfiguration, StaleReason>();
  const directKept = new Map<string, LambdaFunctionConfiguration>(); // via-topic stack -> its kept direct entry

  for (const e of lambdas) {
    const p = parseLambdaArn(e.LambdaFunctionArn ?? '');
    if (!p) continue;
    const target = byArn.get(p.unqualifiedArn);
    if (target?.viaTopic !== undefined) {
      const first = directKept.get(target.stackName);
      if (p.qualifier === undefined && (first === undefined || !sameScope(first, e))) {
        // The function's own direct trigger beside the topic: S3 allows the pair only on disjoint objects, so it
        // delivers something the topic does not. Kept as read; the report asks whether it is wanted.
        if (first === undefined) directKept.set(target.stackName, e);
      } else {
        removedSet.add(e);
        removedReason.set(e, 'qualified-or-duplicate');
        push(attributed, target.stackName, e);
      }
      continue;
    }
    if (target) {
      const first = inPlace.get(target.stackName);
      if (p.qualifier === undefined && first === undefined) {
        inPlace.set(target.stackName, e);
      } else if (p.qualifier === undefined && first !== undefined && !sameScope(first, e)) {
        // A second trigger of the same function for other objects is the user's scoping, not a stale copy:
        // removing it would silently stop those logs. Keep it as it is and say so.
        warnings.push(
          `kept ${e.Id ?? '(no Id)'}: a second trigger of ${p.name} with other events or filter than ${first.Id ?? '(no Id)'}; review whether both are wanted`,
        );
      } else {
        removedSet.add(e);
        removedReason.set(e, 'qualified-or-duplicate');
        push(attributed, target.stackName, e);
      }
      continue;
    }
    const isHeld = held.some((h) => isVendorFunctionOf(p.name, h));
    if (isTaegisFunctionName(p.name) && goneFunctions.has(p.unqualifiedArn) && !isHeld) {
      removedSet.add(e);
      removedReason.set(e, 'function-gone');
      const owner = targets.find((t) => isVendorFunctionOf(p.name, t.stackName));
      if (owner) push(attributed, owner.stackName, e);
      else unattributed.push(e);
    }
  }
  // A gone entry whose name names no configured stack is still stale; it feeds a stack that has nothing to inherit.
  for (const t of targets) {
    if (unattributed.length === 0) break;
    if (t.viaTopic === undefined && !inPlace.has(t.stackName) && !attributed.has(t.stackName))
      push(attributed, t.stackName, unattributed.shift()!);
  }

  const stacks: StackTriggerPlan[] = [];
  // S3 wants unique Ids across all entries; a kept entry could already use ours.
  const usedIds = new Set(
    [...(current.TopicConfigurations ?? []), ...(current.QueueConfigurations ?? []), ...lambdas]
      .filter((e) => !removedSet.has(e as LambdaFunctionConfiguration))
      .map((e) => e.Id)
      .filter((id): id is string => id !== undefined),
  );
  const freshId = (base: string): string => {
    let id = base;
    for (let n = 2; usedIds.has(id); n++) id = `${base.slice(0, 250)}-${n}`;
    usedIds.add(id);
    return id;
  };
  const replacement = new Map<LambdaFunctionConfiguration, LambdaFunctionConfiguration>(); // first stale -> new
  const appended: LambdaFunctionConfiguration[] = [];
  const viaTopic: TopicRoutePlan[] = [];
  for (const t of targets) {
    if (t.viaTopic !== undefined) {
      const topicEntries = (current.TopicConfigurations ?? []).filter((e) => e.TopicArn === t.viaTopic);
      const uncovered = (attributed.get(t.stackName) ?? []).filter(
        (e) => !topicEntries.some((te) => scopeCovers(te, e)),
      );
      const direct = directKept.get(t.stackName);
      viaTopic.push({
        stackName: t.stackName,
        functionArn: t.functionArn,
        topicArn: t.viaTopic,
        uncovered,
        ...(direct ? { directKept: direct } : {}),
      });
      for (const e of uncovered)
        warnings.push(
          `${t.stackName}: removing ${describeEntry('lambda', e)}; no entry for topic ${t.viaTopic} covers those objects, so they reach no Taegis function (widen the topic entry if they should)`,
        );
      if (direct)
        warnings.push(
          `${t.stackName}: kept ${describeEntry('lambda', direct)}, a direct trigger beside topic ${t.viaTopic}; with SNSNotificationarn set the function gets its events through the topic: remove that entry if the topic covers those objects`,
        );
      continue;
    }
    const existing = inPlace.get(t.stackName);
    const stale = attributed.get(t.stackName) ?? [];
    if (existing) {
      if (t.trigger && !sameScope(existing, entryScope(t.trigger))) {
        warnings.push(
          `${t.stackName}: trigger ${existing.Id ?? '(no Id)'} is in place with other events or filter than its configured "trigger"; left as it is (remove that entry and re-run to have the configured one written)`,
        );
      }
      stacks.push({ stackName: t.stackName, functionArn: t.functionArn, status: 'in-place', desired: existing });
      continue;
    }
    const source = stale[0];
    if (stale.length > 1 && !t.trigger) {
      const distinct = new Set(stale.map((s) => JSON.stringify([s.Events, keyFilterOf(s)])));
      if (distinct.size > 1) {
        warnings.push(
          `${t.stackName}: ${stale.length} stale entries with different events/filters; the new trigger inherits those of ${source?.Id ?? '(no id)'} only`,
        );
      }
    }
    const desired: LambdaFunctionConfiguration = {
      Id: freshId(desiredEntryId(parseLambdaArn(t.functionArn)?.name ?? t.stackName)),
      LambdaFunctionArn: t.functionArn,
      // The configured trigger wins over inheriting: it is how a user resolves an overlap the inherited scope has.
      ...(t.trigger
        ? entryScope(t.trigger)
        : {
            Events: source?.Events
              ? [...source.Events]
              : ([...DEFAULT_EVENTS] as LambdaFunctionConfiguration['Events']),
            ...(source?.Filter ? { Filter: structuredClone(source.Filter) } : {}),
          }),
    };
    stacks.push({
      stackName: t.stackName,
      functionArn: t.functionArn,
      status: 'added',
      desired,
      ...(source && !t.trigger ? { inheritedFrom: source } : {}),
      ...(t.trigger ? { fromConfig: true } : {}),
    });
    if (source && !replacement.has(source)) replacement.set(source, desired);
    else appended.push(desired);
  }
  for (const e of unattributed)
    warnings.push(`removing ${describeEntry('lambda', e)}: its Taegis function no longer exists`);

  const newLambdas: LambdaFunctionConfiguration[] = [];
  for (const e of lambdas) {
    const rep = replacement.get(e);
    if (rep) newLambdas.push(rep);
    if (!removedSet.has(e)) newLambdas.push(e);
  }
  newLambdas.push(...appended);

  const merged: BucketNotifications = { ...current };
  if (newLambdas.length > 0 || current.LambdaFunctionConfigurations !== undefined) {
    merged.LambdaFunctionConfigurations = newLambdas;
  }

  const ours = new Set(stacks.map((s) => s.desired));
  const kept: { kind: EntryKind; entry: AnyEntry }[] = [
    ...(current.TopicConfigurations ?? []).map((entry) => ({ kind: 'topic' as const, entry })),
    ...(current.QueueConfigurations ?? []).map((entry) => ({ kind: 'queue' as const, entry })),
    ...lambdas.filter((e) => !removedSet.has(e) && !ours.has(e)).map((entry) => ({ kind: 'lambda' as const, entry })),
  ];

  const overlaps: Overlap[] = [];
  for (const s of stacks) {
    const others: { kind: EntryKind; entry: AnyEntry }[] = [
      ...kept,
      ...stacks.filter((o) => o !== s).map((o) => ({ kind: 'lambda' as const, entry: o.desired })),
    ];
    for (const o of others) {
      if (entriesOverlap(s.desired, o.entry)) {
        overlaps.push({
          stackName: s.stackName,
          desired: describeEntry('lambda', s.desired),
          conflictsWith: describeEntry(o.kind, o.entry),
        });
      }
    }
  }

  const removed: RemovedEntry[] = lambdas
    .filter((e) => removedSet.has(e))
    .map((entry) => {
      const owner = [...attributed.entries()].find(([, list]) => list.includes(entry))?.[0];
      return { entry, reason: removedReason.get(entry)!, ...(owner ? { stackName: owner } : {}) };
    });
  const changed = removed.length > 0 || stacks.some((s) => s.status === 'added');
  return { merged: changed ? merged : current, changed, removed, stacks, viaTopic, kept, overlaps, warnings };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Drops `$metadata` and undefined fields: the configuration exactly as data, for backups and comparisons. */
export function notificationsFromResponse(
  response: NotificationConfiguration & { $metadata?: unknown },
): BucketNotifications {
  const out: BucketNotifications = {};
  if (response.TopicConfigurations !== undefined) out.TopicConfigurations = response.TopicConfigurations;
  if (response.QueueConfigurations !== undefined) out.QueueConfigurations = response.QueueConfigurations;
  if (response.LambdaFunctionConfigurations !== undefined)
    out.LambdaFunctionConfigurations = response.LambdaFunctionConfigurations;
  if (response.EventBridgeConfiguration !== undefined) out.EventBridgeConfiguration = response.EventBridgeConfiguration;
  return out;
}

/**
 * A canonical form for comparing two configurations as S3 means them: empty lists equal absent ones, filter rule
 * names compare case-insensitively, event order does not matter; entry order and every other field do.
 */
export function canonicalNotifications(cfg: BucketNotifications): string {
  const entry = (e: AnyEntry & Record<string, unknown>): unknown => {
    const { Filter, Events, ...rest } = e;
    const rules = (Filter?.Key?.FilterRules ?? [])
      .map((r) => [String(r.Name ?? '').toLowerCase(), r.Value ?? ''])
      .sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
    return sortKeys({ ...rest, Events: [...(Events ?? [])].sort(), FilterRules: rules });
  };
  const list = (l: AnyEntry[] | undefined): unknown[] =>
    (l ?? []).map((e) => entry(e as AnyEntry & Record<string, unknown>));
  return JSON.stringify({
    Topic: list(cfg.TopicConfigurations),
    Queue: list(cfg.QueueConfigurations),
    Lambda: list(cfg.LambdaFunctionConfigurations),
    EventBridge: cfg.EventBridgeConfiguration !== undefined,
  });
}

export function sameNotifications(a: BucketNotifications, b: BucketNotifications): boolean {
  return canonicalNotifications(a) === canonicalNotifications(b);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}
