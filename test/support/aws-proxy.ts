import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';

/** One request as the proxy saw it. */
export interface SeenRequest {
  readonly n: number;
  readonly method: string;
  readonly url: string;
  /** From the SigV4 credential scope: `s3`, `lambda`, `logs`, `cloudformation`. */
  readonly service: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface CannedResponse {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface ProxyHooks {
  /** Answer instead of forwarding (e.g. a 503), or run something first (e.g. someone else's change). */
  readonly before?: (req: SeenRequest) => Promise<CannedResponse | undefined> | CannedResponse | undefined;
  /** Rewrite moto's answer before the client sees it. */
  readonly after?: (req: SeenRequest, status: number, body: Buffer) => Buffer | undefined;
}

/**
 * A small HTTP proxy on 127.0.0.1 in front of moto, for what moto cannot do itself: throttle, change a bucket
 * between two of our requests, report a function as failed. Signatures are not checked by moto, so forwarding
 * with another Host is fine.
 */
export async function startProxy(
  target: string,
  hooks: ProxyHooks,
): Promise<{ endpoint: string; seen: SeenRequest[]; stop: () => Promise<void> }> {
  const seen: SeenRequest[] = [];
  const upstream = new URL(target);
  let n = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const auth = String(req.headers.authorization ?? '');
        const service = /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(auth)?.[1] ?? 'unknown';
        const seenReq: SeenRequest = {
          n: ++n,
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          service,
          headers: req.headers,
          body: Buffer.concat(chunks),
        };
        seen.push(seenReq);
        try {
          const canned = await hooks.before?.(seenReq);
          if (canned) {
            res.writeHead(canned.status, canned.headers ?? {});
            res.end(canned.body ?? '');
            return;
          }
          const headers = { ...req.headers, host: upstream.host };
          const up = httpRequest(
            { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
            (upRes) => {
              const out: Buffer[] = [];
              upRes.on('data', (c: Buffer) => out.push(c));
              upRes.on('end', () => {
                let body: Buffer = Buffer.concat(out);
                const rewritten = hooks.after?.(seenReq, upRes.statusCode ?? 500, body);
                const h = { ...upRes.headers };
                if (rewritten) {
                  body = rewritten;
                  delete h['content-length'];
                  delete h['transfer-encoding'];
                  h['content-length'] = String(body.length);
                }
                res.writeHead(upRes.statusCode ?? 500, h);
                res.end(body);
              });
            },
          );
          up.on('error', (err) => {
            res.writeHead(502);
            res.end(String(err));
          });
          up.end(seenReq.body);
        } catch (err) {
          res.writeHead(500);
          res.end(String(err));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = addr && typeof addr === 'object' ? addr.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A throttling answer in the shape each protocol uses, so the SDK sees the real error. */
export function throttle(service: string): CannedResponse {
  if (service === 's3') {
    return {
      status: 503,
      headers: { 'content-type': 'application/xml' },
      body: '<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
    };
  }
  if (service === 'cloudformation') {
    return {
      status: 400,
      headers: { 'content-type': 'text/xml' },
      body: '<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>x</RequestId></ErrorResponse>',
    };
  }
  return {
    status: 429,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'ThrottlingException' },
    body: JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }),
  };
}

/**
 * The operation a request asks for, from the wire (not from a client's own bookkeeping): REST services by method and
 * path, JSON protocols by X-Amz-Target, query protocols by Action.
 */
export function operationOf(req: SeenRequest): string {
  const target = req.headers['x-amz-target'];
  if (typeof target === 'string') return target.split('.').pop() ?? target;
  const action = /(?:^|&)Action=([A-Za-z]+)/.exec(req.body.toString()) ?? /[?&]Action=([A-Za-z]+)/.exec(req.url);
  if (action) return action[1]!;
  return `${req.method} ${req.url.split('?')[0]}`;
}

/** Anything but a read: S3 and Lambda writes are PUT/POST/DELETE; JSON/query operations not named as reads. */
export function isWrite(req: SeenRequest): boolean {
  const op = operationOf(req);
  if (/^(GET|HEAD) /.test(op)) return false;
  if (/^(PUT|POST|DELETE|PATCH) /.test(op)) return true;
  // AssumeRole and GetCallerIdentity only read who we are.
  return !/^(Get|Describe|List|Filter|AssumeRole|GetCallerIdentity)/.test(op);
}
