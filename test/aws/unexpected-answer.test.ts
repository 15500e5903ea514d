import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AccountClients } from '../../lib/aws/accounts.js';
import { ExitCode, reportError, TaegisError } from '../../lib/util/errors.js';
import { programMain } from '../../lib/commands/index.js';
import { EXAMPLE_CONFIG } from '../support/example.js';

/** What a corporate proxy or a captive portal answers where STS should: a 200 with an HTML page. */
function htmlEndpoint(): Promise<{ server: Server; url: string; requests: () => number }> {
  let n = 0;
  const server = createServer((_req, res) => {
    n += 1;
    res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Please sign in to the proxy</body></html>');
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, requests: () => n }),
    ),
  );
}

describe('an answer AWS would never give', () => {
  let html: Awaited<ReturnType<typeof htmlEndpoint>>;
  beforeAll(async () => {
    html = await htmlEndpoint();
  });
  afterAll(() => new Promise<void>((r) => html.server.close(() => r())));

  it('GIVEN an HTML page where STS should answer WHEN the caller is asked THEN AWS_UNEXPECTED_ANSWER, exit 3, naming the endpoint as the cause', async () => {
    const clients = new AccountClients({
      command: 'verify',
      endpoint: html.url,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const err = await clients.caller('us-east-1').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TaegisError);
    expect((err as TaegisError).code).toBe('AWS_UNEXPECTED_ANSWER');
    expect((err as TaegisError).exitCode).toBe(ExitCode.Unexpected);
    expect((err as TaegisError).message).toMatch(/not STS/);
  });

  it('GIVEN the same endpoint WHEN verify runs THEN exit 3 with the cause, never "not the account of the AWS credentials (, )"', async () => {
    let stderr = '';
    const spy = vi
      .spyOn(process.stderr, 'write')
      .mockImplementation((c: string | Uint8Array) => ((stderr += String(c)), true));
    // Set and put back key by key: process.env stays the process's own object (other files share this worker).
    const set = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' };
    const saved = Object.fromEntries(Object.keys(set).map((k) => [k, process.env[k]]));
    Object.assign(process.env, set);
    try {
      const code = await programMain([
        'verify',
        '--config',
        EXAMPLE_CONFIG,
        '--endpoint-url',
        html.url,
        '--dry-run',
      ]).catch((e: unknown) => reportError(e));
      expect(code, stderr).toBe(ExitCode.Unexpected);
      expect(stderr).toContain('error AWS_UNEXPECTED_ANSWER');
      expect(stderr).not.toContain('(, )');
    } finally {
      spy.mockRestore();
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('GIVEN a bug (an error that is no TaegisError) WHEN the CLI catches it THEN exit 3, apart from a failed check', () => {
    const lines: string[] = [];
    expect(reportError(new TypeError('x is undefined'), (l) => lines.push(l))).toBe(ExitCode.Unexpected);
    expect(lines[0]).toBe('error UNEXPECTED: TypeError: x is undefined');
    expect(new TaegisError('CHECK_FAILED', 'red').exitCode).toBe(ExitCode.CheckFailed);
  });
});
