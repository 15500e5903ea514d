import type { MigrationConfig } from '../config/load.js';
import { NO_FAILURES, parseFailureTolerance, type FailureTolerance } from '../util/tolerance.js';
import {
  DEFAULT_MAX_CONCURRENCY,
  DEFAULT_SHARDS_PER_WAVE,
  resolveWaves,
  targetName,
  type PipelineConfig,
  type Target,
} from '../config/pipeline.js';

/**
 * A wave as both CI routes run it: its targets split into at most `shardsPerWave` shards, each shard worked through by
 * one CodeBuild build or GitHub job (`taegis-migrate ci shard`), then one gate (`taegis-migrate ci gate`) that applies
 * the wave's failure tolerance. What we generate grows with the number of waves and shards, never with targets.
 */
export interface ShardedWave {
  readonly name: string;
  readonly approval: boolean;
  readonly tolerance: FailureTolerance;
  /** Targets of the wave in flight at once, over all its shards. */
  readonly maxConcurrency: number;
  /** Targets in flight at once inside one shard: the wave's concurrency shared by its shards, at least 1. */
  readonly perShardConcurrency: number;
  readonly targets: readonly Target[];
  /** Each target in exactly one shard; a shard holds whole accounts (per-account stacks are deployed once). */
  readonly shards: readonly (readonly Target[])[];
}

/**
 * Splits targets into at most `count` shards of whole accounts, balanced by target count: the largest account goes to
 * the emptiest shard first (ties to the lower index), so the same config always gives the same shards.
 */
export function shardTargets(targets: readonly Target[], count: number): Target[][] {
  const byAccount = new Map<string, Target[]>();
  for (const t of targets) byAccount.set(t.account, [...(byAccount.get(t.account) ?? []), t]);
  const accounts = [...byAccount.entries()].sort(([a, x], [b, y]) => y.length - x.length || a.localeCompare(b));
  const shards: Target[][] = Array.from({ length: Math.max(1, Math.min(count, accounts.length)) }, () => []);
  for (const [, ts] of accounts) {
    let emptiest = 0;
    shards.forEach((s, i) => {
      if (s.length < shards[emptiest]!.length) emptiest = i;
    });
    shards[emptiest]!.push(...ts);
  }
  // Within a shard, config order: the order the user wrote is the order they read reports in.
  const order = new Map(targets.map((t, i) => [targetName(t), i]));
  return shards.map((s) => s.sort((a, b) => order.get(targetName(a))! - order.get(targetName(b))!));
}

/** Every wave of the config's pipeline, sharded. Throws nothing: the config was validated when it was loaded. */
export function shardedWaves(
  config: Pick<MigrationConfig, 'regions'> & { readonly pipeline: PipelineConfig },
): ShardedWave[] {
  const pc = config.pipeline;
  const count = pc.shardsPerWave ?? DEFAULT_SHARDS_PER_WAVE;
  return resolveWaves(config.regions, pc.waves).waves.map((wave) => {
    const spec = pc.waves.find((w) => w.name === wave.name);
    const maxConcurrency = spec?.maxConcurrency ?? DEFAULT_MAX_CONCURRENCY;
    // A stage's actions all run at once: no more shards than targets the wave may have in flight.
    const shards = shardTargets(wave.targets, Math.min(count, maxConcurrency));
    return {
      name: wave.name,
      approval: wave.approval,
      tolerance: parseFailureTolerance(spec?.failureTolerance ?? 0) ?? NO_FAILURES,
      maxConcurrency,
      perShardConcurrency: Math.max(1, Math.floor(maxConcurrency / shards.length)),
      targets: wave.targets,
      shards,
    };
  });
}
