import type { Problem } from '../util/errors.js';
import {
  defaultLambdaRuntime,
  lifecycleDates,
  lifecycleOf,
  runtimeStage,
  utcDay,
  type LambdaRuntime,
} from '../facts/lambda-runtimes.js';

/** The runtime a config means on a given day, and whether the file chose it or the date did. */
export interface ResolvedRuntime {
  readonly runtime: LambdaRuntime;
  readonly chosenBy: 'config' | 'default';
}

/**
 * The one runtime rule: the config's `lambdaRuntime`, else the default for `now`. From AWS's block-update date an
 * explicit blocked runtime is a problem (the deploy would fail at CloudFormation) unless `acknowledgeBlockedRuntime`
 * names it. The clock is a parameter: every test pins it.
 */
export function resolveLambdaRuntime(
  cfg: { readonly lambdaRuntime?: LambdaRuntime; readonly acknowledgeBlockedRuntime?: string },
  now: Date,
): { readonly resolved: ResolvedRuntime; readonly problem?: Problem } {
  if (cfg.lambdaRuntime === undefined) {
    return { resolved: { runtime: defaultLambdaRuntime(now), chosenBy: 'default' } };
  }
  const resolved: ResolvedRuntime = { runtime: cfg.lambdaRuntime, chosenBy: 'config' };
  const life = lifecycleOf(cfg.lambdaRuntime);
  if (!life || runtimeStage(cfg.lambdaRuntime, now) !== 'update-blocked') return { resolved };
  if (cfg.acknowledgeBlockedRuntime === cfg.lambdaRuntime) return { resolved };
  return {
    resolved,
    problem: {
      path: 'lambdaRuntime',
      message: `is "${life.runtime}", on which AWS refuses updates of functions since ${life.blockUpdate} (today is ${utcDay(now)}; ${lifecycleDates(life)}): every Lambda stack update would fail`,
      fix: `set "lambdaRuntime": "${life.successor}" (or remove the field: the default is ${life.successor} from ${life.blockUpdate}); if AWS extended ${life.runtime} for this account, add "acknowledgeBlockedRuntime": "${life.runtime}"`,
    },
  };
}
