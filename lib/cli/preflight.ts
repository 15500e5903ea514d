import { connect } from 'node:net';
import { TaegisError } from '../util/errors.js';

/** How long the endpoint may take to accept a connection before the command gives up on it. */
const CONNECT_TIMEOUT_MS = 3000;

/** Opens and closes one TCP connection; resolves with the reason it failed, or undefined when it connected. */
export function tcpProbe(host: string, port: number, timeoutMs = CONNECT_TIMEOUT_MS): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (reason: string | undefined) => {
      socket.destroy();
      resolve(reason);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs / 1000} s`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

/**
 * Checks that an endpoint override answers at all: one TCP connection with a short timeout, so a wrong port or a
 * stopped emulator is bad input named at once instead of minutes of SDK retries ending in a generic network error.
 * No AWS API call is made.
 */
export async function requireReachableEndpoint(endpoint: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new TaegisError('INPUT_INVALID', `--endpoint-url "${endpoint}" is not a URL`, {
      fix: 'pass e.g. --endpoint-url http://localhost:5000, or unset AWS_ENDPOINT_URL',
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TaegisError('INPUT_INVALID', `--endpoint-url "${endpoint}" is not an http(s) URL`, {
      fix: 'pass e.g. --endpoint-url http://localhost:5000',
    });
  }
  const port = url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  // URL keeps IPv6 literals in brackets; net.connect wants them bare.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const reason = await tcpProbe(host, port, timeoutMs);
  if (reason !== undefined) {
    throw new TaegisError(
      'ENDPOINT_UNREACHABLE',
      `the AWS endpoint ${endpoint} cannot be reached (${reason}); nothing was called`,
      {
        fix: 'start the emulator or correct --endpoint-url / AWS_ENDPOINT_URL (unset it to use AWS)',
      },
    );
  }
}
