import { afterAll, beforeAll } from 'vitest';
import { startMoto, type Moto, type StartMotoOptions } from './moto.js';

/**
 * The moto server of a describe block: taken (or started) before its first test and handed back (or stopped) after the
 * last. Returns an accessor, since the server exists only once `beforeAll` has run. Kept apart from moto.ts, which
 * the benchmark loads outside vitest.
 */
export function useMoto(options: StartMotoOptions = {}): () => Moto {
  let moto: Moto | undefined;
  beforeAll(async () => {
    moto = await startMoto(options);
  });
  afterAll(async () => {
    await moto?.stop();
  });
  return () => {
    if (moto === undefined) throw new Error('useMoto(): the server is there only inside tests and hooks');
    return moto;
  };
}
