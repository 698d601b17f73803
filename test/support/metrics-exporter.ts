/**
 * A tiny metrics exporter for the real Prometheus to scrape: gauges in the text format,
 * whose values the test sets while it runs.
 */
import type { Server } from 'node:http';
import { listenOnLoopback } from './loopback-server.js';

export interface Exporter {
  /** host:port, as a Prometheus scrape target. */
  target: string;
  set(name: string, value: number): void;
  close(): Promise<void>;
}

export async function startExporter(initial: Record<string, number>): Promise<Exporter> {
  const gauges = new Map(Object.entries(initial));
  const { server, url }: { server: Server; url: string } = await listenOnLoopback((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    const lines = [...gauges].flatMap(([name, value]) => [`# TYPE ${name} gauge`, `${name} ${value}`]);
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(`${lines.join('\n')}\n`);
  });
  return {
    target: url.replace(/^http:\/\//, ''),
    set: (name, value) => gauges.set(name, value),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
