import { backfill } from './backfill.js';
import { ci } from './ci.js';
import { demo } from './demo.js';
import { deploy } from './deploy.js';
import { discover } from './discover.js';
import { logpush } from './logpush.js';
import { plan } from './plan.js';
import { replay } from './replay.js';
import { restore } from './restore.js';
import { secret } from './secret.js';
import { synth } from './synth.js';
import { verify } from './verify.js';

export type * from './types.js';

/** Every command, in the order a migration runs them: the order of `taegis-migrate --help` and docs/commands.md. */
export const DEFINITION = {
  discover,
  synth,
  plan,
  deploy,
  verify,
  restore,
  replay,
  backfill,
  logpush,
  secret,
  ci,
  demo,
} as const;

export type CommandName = keyof typeof DEFINITION;

/** The program's own lines in `taegis-migrate --help`. */
export const PROGRAM = {
  usage: 'taegis-migrate <command> [flags]',
  description:
    "Moves Secureworks Taegis XDR log integrations onto the vendor's new Lambda package, region by region, and proves that logs flow again.",
  exit: '0 pass, 1 a check failed, 2 bad input (nothing was called or changed), 3 unexpected (a bug, or an answer from AWS or an endpoint that this tool does not know: report it), 130 interrupted (Ctrl-C).',
} as const;
