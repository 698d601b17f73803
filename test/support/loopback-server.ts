import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An HTTP server on a free loopback port, for the fakes that stand in for remote APIs. */
export async function listenOnLoopback(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}` };
}

/**
 * Closes every fake, even when one of them throws for a call it did not know, and then
 * rethrows the first such error so that the test still fails.
 */
export async function closeAll(fakes: ReadonlyArray<{ close(): Promise<void> }>): Promise<void> {
  const closed = await Promise.allSettled(fakes.map((fake) => fake.close()));
  const failed = closed.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
}
