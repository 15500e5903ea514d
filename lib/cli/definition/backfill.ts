import { RATE, REPLAY_ACCESS_FLAGS, REPLAY_TARGET_FLAGS } from './replay.js';
import { JSON_OUT } from './shared.js';
import { defineCommand } from './types.js';

export const backfill = defineCommand({
  name: 'backfill',
  summary: 'send every object of a log bucket written in a time window to its function, once',
  usage: ['taegis-migrate backfill --stack NAME --since TIME [--until TIME] [flags]'],
  description:
    "Sends every object of a stack's log bucket last modified in a time window to its function, as S3 would have announced it (one asynchronous invocation per object with an ObjectCreated:Put event record): for a window in which the trigger was missing or the function broken. Each object is sent once; a checkpoint file remembers what was sent, so running the same window again sends nothing new.",
  flags: {
    ...REPLAY_TARGET_FLAGS,
    stack: { type: 'list', value: 'NAME', description: 'the stack (repeatable, or a comma list; required)' },
    since: {
      type: 'string',
      value: 'ISO-TIME|DURATION',
      description: "the window's start, inclusive (e.g. 2026-11-23T10:00:00Z, or 6h back from now; required)",
    },
    until: {
      type: 'string',
      value: 'ISO-TIME|DURATION',
      defaultText: 'now',
      description: "the window's end, exclusive",
    },
    prefix: {
      type: 'string',
      value: 'P',
      description: 'only keys starting with P (e.g. AWSLogs/123456789012/CloudTrail/)',
    },
    'dry-run': { type: 'boolean', description: 'print the count and the first keys that would be sent; send nothing' },
    force: { type: 'boolean', description: 'send objects the checkpoint already has, too' },
    checkpoint: {
      type: 'string',
      value: 'FILE',
      default: 'backfill-checkpoint.jsonl',
      description: 'the checkpoint: one JSON line per object sent',
    },
    rate: RATE,
    json: JSON_OUT,
    ...REPLAY_ACCESS_FLAGS,
  },
  exit: '0 every object in the window was sent (or already had been), 1 a stack or an object failed, 2 bad input (nothing sent).',
});
