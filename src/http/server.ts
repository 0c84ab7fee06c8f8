// The HTTP service: health now; the REST API, Manager and Webmail are routed here as they land.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Core } from '../core/context.js';
import type { Connection } from '../server/listener.js';

export interface HttpService {
  handler: (conn: Connection) => void;
  close(): void;
}

export function createHttpService(core: Core, opts: { version: string; startedAt: number }): HttpService {
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 15_000 }, (req, res) => {
    route(core, opts, req, res).catch((err: unknown) => {
      core.log.error({ err, url: req.url }, 'http request failed');
      if (!res.headersSent)
        sendJson(res, 500, {
          result: 'error',
          error: { code: 'unexpected_error', description: 'internal error' },
        });
      else res.destroy();
    });
  });
  return {
    handler: (conn) => server.emit('connection', conn.socket),
    close: () => server.close(),
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

async function route(
  core: Core,
  opts: { version: string; startedAt: number },
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
    // Healthy means the store answers, not merely that the process is up.
    const problems: string[] = [];
    try {
      await core.store.directory.listServices();
    } catch (e) {
      problems.push(`store: ${(e as Error).message}`);
    }
    sendJson(res, problems.length ? 503 : 200, {
      status: problems.length ? 'unhealthy' : 'ok',
      version: opts.version,
      uptime_s: Math.round((core.now() - opts.startedAt) / 1000),
      problems,
    });
    return;
  }
  if (url.pathname === '/' && req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(`Mailstead ${opts.version} on ${core.hostname}\nHealth: /healthz\n`);
    return;
  }
  sendJson(res, 404, { result: 'error', error: { code: 'object_not_found', description: 'not found' } });
}
