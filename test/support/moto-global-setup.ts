import type { TestProject } from 'vitest/node';
import { spawnMotoServer } from './moto.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Port of the shared moto server of each vitest worker, by `VITEST_POOL_ID - 1`. */
    sharedMotoPorts: readonly number[];
  }
}

/**
 * Starts one moto server per vitest worker of the integration project, before its first test file, and stops them
 * (by PID) after the last. Files of one worker run one after another; `startMoto()` wipes the server for each, so
 * every file still starts on an empty moto without paying for a Python start of its own.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const workers = Math.max(1, Number(project.config.maxWorkers) || 1);
  const servers = await Promise.all(Array.from({ length: workers }, () => spawnMotoServer()));
  project.provide(
    'sharedMotoPorts',
    servers.map((s) => s.port),
  );
  return async () => {
    await Promise.all(servers.map((s) => s.stop()));
  };
}
