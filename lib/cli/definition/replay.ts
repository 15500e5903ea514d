import { ACCOUNT, AWS_FLAGS, CONFIG, HELP, JSON_OUT, REGION, ROLE_NAME } from './shared.js';
import { defineCommand, type NumberFlag } from './types.js';

/** Invocations per second, all stacks together: well under a function's concurrency and Invoke limits. */
export const RATE = {
  type: 'number',
  value: 'N',
  min: 0.1,
  max: 100,
  default: 5,
  description: 'invocations per second, all stacks together',
} as const satisfies NumberFlag;

/** The flags replay and backfill share: which stacks, and how their accounts are entered. */
export const REPLAY_TARGET_FLAGS = { config: CONFIG, region: REGION, account: ACCOUNT } as const;
export const REPLAY_ACCESS_FLAGS = { 'role-name': ROLE_NAME, ...AWS_FLAGS, help: HELP } as const;

export const replay = defineCommand({
  name: 'replay',
  summary: 'send the events a function failed on again, from its on-failure queue (config failedEvents)',
  usage: ['taegis-migrate replay [flags]'],
  description:
    "Sends the events a migrated function failed on again. Reads the queue the function's own on-failure destination names (config \"failedEvents\", or one made by hand), invokes the function asynchronously with each record's original request payload, and deletes a record only once its invocation was accepted; one that fails stays for the next run. Fix the cause first (verify's failed-events check counts what waits).",
  flags: {
    ...REPLAY_TARGET_FLAGS,
    stack: {
      type: 'list',
      value: 'NAME',
      defaultText: 'every configured stack',
      description: 'only this stack (repeatable, or a comma list)',
    },
    'dry-run': {
      type: 'boolean',
      description: 'list what would be sent (bucket, key, failure condition, failure time); send nothing',
    },
    max: { type: 'int', value: 'N', min: 1, max: 1_000_000, default: 1000, description: 'at most N records per stack' },
    rate: RATE,
    json: JSON_OUT,
    ...REPLAY_ACCESS_FLAGS,
  },
  exit: '0 every record read was sent (or there was none), 1 a stack or a record failed, 2 bad input (nothing sent).',
});
