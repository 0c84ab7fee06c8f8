// The seam with the `smtp-server` library, which does the SMTP wire protocol (RFC 5321 parsing,
// PIPELINING, STARTTLS, AUTH exchanges, DATA dot-unstuffing); every decision stays ours.
// Two behaviours the library does not offer as options are set per connection here, pinned to the
// library version in package.json and covered by the protocol tests:
//  - no AUTH advertised or accepted before TLS (RFC 8314 / our policy);
//  - our own enhanced status codes (RFC 3463) when a reply text starts with one.
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { Socket } from 'node:net';

interface LibConnection {
  secure: boolean;
  _isSupported(cmd: string): boolean;
  send(code: number, data: unknown, context?: unknown): void;
}

const ENHANCED = /^[245]\.\d{1,3}\.\d{1,3} /;

/**
 * `onError` receives what the library reports on the server object (a client's failed TLS
 * handshake, a socket reset...). Without a listener Node would treat those as fatal and the whole
 * process — every protocol, every session — would exit because of one client.
 */
export function createLibraryServer(options: SMTPServerOptions, onError: (err: Error) => void): SMTPServer {
  const server = new SMTPServer(options);
  server.on('error', onError);
  return server;
}

/** Hands an accepted socket (plain, or TLS for implicit-TLS ports) to the library. */
export function attachSocket(
  server: SMTPServer,
  socket: Socket,
  info: { remoteAddress: string; remotePort: number; authNeedsTls: boolean },
): void {
  const s = server as unknown as {
    connect(socket: Socket, opts: Record<string, unknown>): void;
    connections: Set<LibConnection>;
  };
  s.connect(socket, { remoteAddress: info.remoteAddress, remotePort: info.remotePort });
  const conn = [...s.connections].at(-1);
  if (!conn) return;
  const isSupported = conn._isSupported.bind(conn);
  conn._isSupported = (cmd: string) =>
    cmd === 'AUTH' && info.authNeedsTls && !conn.secure ? false : isSupported(cmd);
  const send = conn.send.bind(conn);
  conn.send = (code: number, data: unknown, context?: unknown) => {
    if (typeof data === 'string' && ENHANCED.test(data)) return send(code, data, false);
    return send(code, data, context);
  };
}

/** An error the library turns into an SMTP reply: `code` and the enhanced code lead the text. */
export function smtpError(code: number, enhanced: string, text: string): Error & { responseCode: number } {
  const e = new Error(`${enhanced} ${text}`) as Error & { responseCode: number };
  e.responseCode = code;
  return e;
}

/** Tells every session of the server we are shutting down (421) and closes it. */
export function closeLibraryConnections(server: SMTPServer): void {
  const s = server as unknown as { connections: Set<LibConnection & { close(): void }> };
  for (const c of s.connections) {
    try {
      c.send(421, '4.3.2 Server shutting down, try again later', false);
      c.close();
    } catch {
      /* already gone */
    }
  }
}
