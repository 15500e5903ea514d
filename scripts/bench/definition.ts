import { HELP } from '../../lib/cli/definition/shared.js';
import { defineCommand } from '../../lib/cli/definition/types.js';

export const bench = defineCommand({
  name: 'bench',
  summary:
    'benchmarks: "bench synth" (synth time vs stack count), "bench verify" and "bench fleet" (verify against moto)',
  usage: ['npm run bench:<synth|verify|fleet> -- [flags]'],
  description: 'Benchmarks of the synth and of verify, with the targets they must meet.',
  subcommands: {
    synth: {
      summary: 'synth time of 17 regions x 6 stacks against 1 x 1',
      usage: ['npm run bench:synth -- [--runs N] [--artifacts DIR]'],
      description:
        'Times a 17-region x 6-stack synth against a 1 x 1 synth, end to end (the app process cdk synth starts) and in-process.',
      exit: '0 the large synth takes at most 2x the small one, 1 it takes more, 2 bad input.',
    },
    verify: {
      summary: 'verify against moto with many stacks, compared with an aws-cli baseline',
      usage: ['npm run bench:verify -- [flags]'],
      description:
        'Seeds moto (started on a free 127.0.0.1 port, stopped by PID) with many stacks, runs verify against it and compares with an aws-cli baseline.',
      exit: '0 the targets are met, 1 a target is missed, 2 bad input.',
    },
    fleet: {
      summary: 'verify over ACCOUNTS x REGIONS targets against the same stacks in one account',
      usage: ['npm run bench:fleet -- [flags]'],
      description:
        'Seeds moto with ACCOUNTS x REGIONS targets (STACKS each) and runs verify over them as the CLI does, against the same stacks in one account.',
      exit: '0 the fleet adds at most 0.5 requests per stack and 1.3x the time, 1 it adds more, 2 bad input.',
    },
  },
  flags: {
    runs: { type: 'int', value: 'N', min: 1, max: 100, default: 3, in: ['synth'], description: 'timed runs per size' },
    artifacts: {
      type: 'string',
      value: 'DIR',
      defaultText: 'assets/example',
      in: ['synth'],
      description: 'vendor artifacts folder',
    },
    'baseline-stacks': {
      type: 'int',
      value: 'N',
      min: 5,
      max: 100,
      default: 10,
      in: ['verify'],
      description: 'stacks in the aws-cli baseline',
    },
    accounts: {
      type: 'int',
      value: 'N',
      min: 1,
      max: 500,
      defaultText: '1 (verify, at most 50), 100 (fleet)',
      in: ['verify', 'fleet'],
      description: 'accounts',
    },
    regions: {
      type: 'int',
      value: 'N',
      min: 1,
      max: 6,
      default: 3,
      in: ['fleet'],
      description: 'regions per account',
    },
    stacks: { type: 'int', value: 'N', min: 1, max: 20, default: 1, in: ['fleet'], description: 'stacks per target' },
    concurrency: {
      type: 'int',
      value: 'N',
      min: 1,
      max: 256,
      default: 16,
      in: ['verify', 'fleet'],
      description: "verify's concurrency",
    },
    help: HELP,
  },
  exit: '0 the targets are met, 1 a target is missed, 2 bad input.',
});
