import { createHash } from 'node:crypto';

const SUFFIX = '-failed-events';
/** SQS queue names: 1-80 letters, digits, hyphens and underscores. */
const MAX_QUEUE_NAME = 80;

/**
 * The name of a Lambda stack's failed-event queue: `<stackName>-failed-events`, known at synth time so the
 * monitoring stack can alarm on it without a cross-stack reference. A stack name too long for SQS's 80 characters
 * is cut and made unique again with a hash of the whole name (stack names are unique per account and region).
 */
export function failedEventsQueueName(stackName: string): string {
  const plain = `${stackName}${SUFFIX}`;
  if (plain.length <= MAX_QUEUE_NAME) return plain;
  const hash = createHash('sha256').update(stackName).digest('hex').slice(0, 8);
  return `${stackName.slice(0, MAX_QUEUE_NAME - SUFFIX.length - hash.length - 1)}-${hash}${SUFFIX}`;
}

/** Suffix of the alarm on a function's failed-event queue (after `alarmPrefix(functionName)`). */
export const FAILED_EVENTS_ALARM_SUFFIX = 'failed-events';
