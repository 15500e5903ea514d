import { createServer, type Server } from 'node:http';

/** An HTTP endpoint that answers every request with a 500 and counts them: bad input must send none. */
export async function countingEndpoint(): Promise<{ url: string; count: () => number; stop: () => Promise<void> }> {
  let n = 0;
  const server: Server = createServer((_req, res) => {
    n += 1;
    res.writeHead(500).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    count: () => n,
    stop: () => new Promise((r) => server.close(() => r())),
  };
}
