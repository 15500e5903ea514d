import { HELP } from './shared.js';
import { defineCommand } from './types.js';

export const demo = defineCommand({
  name: 'demo',
  summary: 'the whole migration on a local AWS emulator (moto), no AWS account needed',
  usage: ['taegis-migrate demo [--dir DIR] [--log-timeout SECONDS]'],
  description:
    'Runs the whole migration on a local AWS emulator (moto, on a free 127.0.0.1 port), no AWS account needed: seeds console-made Taegis stacks in two regions, then discover -> synth -> bootstrap -> plan -> deploy -> verify, as a user runs them. Stops the emulator by its PID at the end (also on Ctrl-C).',
  flags: {
    dir: {
      type: 'string',
      value: 'DIR',
      defaultText: 'a temporary one, kept',
      description: 'new or empty folder for the config, vendor files, backups and reports',
    },
    'log-timeout': {
      type: 'int',
      value: 'SECONDS',
      min: 0,
      max: 3600,
      default: 60,
      description: 'how long verify waits for the log line',
    },
    help: HELP,
  },
  exit: '0 every step passed, 1 a step failed, 2 bad flags or no emulator.',
});
