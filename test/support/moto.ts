import { createServer } from 'node:net';
import { AwsClientFactory, type ClientFactoryOptions } from '../../lib/aws/clients.js';
import {
  MOTO_ACCOUNT,
  MOTO_CDK_DEPLOY_FLAGS,
  MOTO_CREDENTIALS,
  motoEnv,
  spawnMotoServer,
} from '../../lib/emulator/moto.js';

// The server process and its environment live in lib/emulator (npm run demo starts it too).
export { MOTO_ACCOUNT, MOTO_CDK_DEPLOY_FLAGS, MOTO_CREDENTIALS, spawnMotoServer };

/** A moto server for this test file: the vitest worker's shared one (wiped between files) or one of its own. */
export interface Moto {
  readonly port: number;
  /** `http://127.0.0.1:PORT`, for SDK clients. */
  readonly endpoint: string;
  /** `http://localhost:PORT`, for the CDK CLI (moto resolves the CLI's path-style TemplateURL only with "localhost"). */
  readonly cdkEndpoint: string;
  /** Environment for child processes (CDK CLI, our scripts) aimed at this moto. */
  readonly env: NodeJS.ProcessEnv;
  /** A client factory aimed at this moto. */
  clients(options?: Omit<ClientFactoryOptions, 'endpoint' | 'credentials'>): AwsClientFactory;
  /** Wipes all state. */
  reset(): Promise<void>;
  /** Stops a server of the file's own by its PID; gives a shared one back wiped. */
  stop(): Promise<void>;
}

/** A free loopback port for a server that cannot bind port 0 itself (moto can: `spawnMotoServer` uses 0). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Options of `startMoto`. */
export interface StartMotoOptions {
  /**
   * Start a server of this test file's own instead of taking the vitest worker's shared one.
   * @default false
   */
  readonly dedicated?: boolean;
}

// The worker's shared server is lent to one caller at a time; a second startMoto() in the same file gets its own.
let sharedLent = false;

/** The port of the moto server test/support/moto-global-setup.ts started for this vitest worker, if any. */
async function sharedPortOfThisWorker(): Promise<number | undefined> {
  if (process.env.VITEST === undefined || process.env.VITEST_POOL_ID === undefined) return undefined;
  const { inject } = await import('vitest');
  const ports = (inject as (key: string) => unknown)('sharedMotoPorts') as readonly number[] | undefined;
  return ports?.[Number(process.env.VITEST_POOL_ID) - 1];
}

async function reset(endpoint: string): Promise<void> {
  const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  if (!res.ok) throw new Error(`moto reset failed: ${res.status}`);
}

/**
 * A moto server for this test file, empty. Under vitest's integration project it is the worker's shared server
 * (test files of one worker run one after another), wiped on start and on stop; `stop()` then only wipes it.
 * Elsewhere (a unit test run is refused, a script such as a bench), or with `dedicated`, it is a server of its own,
 * stopped by its PID.
 */
export async function startMoto(options: StartMotoOptions = {}): Promise<Moto> {
  if (process.env.TAEGIS_TEST_KIND === 'unit') {
    throw new Error(
      'unit tests start no moto: name this test file *.moto.test.ts (the integration project, see CONTRIBUTING.md "Tests")',
    );
  }
  const sharedPort = options.dedicated || sharedLent ? undefined : await sharedPortOfThisWorker();
  let port: number;
  let stopServer: () => Promise<void>;
  if (sharedPort !== undefined) {
    sharedLent = true;
    port = sharedPort;
    await reset(`http://127.0.0.1:${port}`);
    stopServer = async () => {
      await reset(`http://127.0.0.1:${port}`);
      sharedLent = false;
    };
  } else {
    const server = await spawnMotoServer();
    port = server.port;
    stopServer = () => server.stop();
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const env = motoEnv(port);
  let stopped = false;
  return {
    port,
    endpoint,
    cdkEndpoint: `http://localhost:${port}`,
    env,
    clients: (options = {}) =>
      new AwsClientFactory({
        ...options,
        endpoint,
        credentials: MOTO_CREDENTIALS,
        maxAttempts: options.maxAttempts ?? 3,
      }),
    reset: () => reset(endpoint),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await stopServer();
    },
  };
}
