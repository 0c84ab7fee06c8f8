// Test helper (used by the queue and transport tests only): a fake remote MX on 127.0.0.1 built
// on smtp-server, with STARTTLS (its built-in certificate), scripted replies per recipient and a
// record of everything it accepted.
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface Reply {
  code: number;
  message: string;
}

export interface Received {
  from: string;
  to: string[];
  raw: Buffer;
  /** The session was upgraded with STARTTLS. */
  secure: boolean;
  user?: string;
}

export interface FakeMx {
  port: number;
  received: Received[];
  /** Scripted RCPT TO replies; undefined = accept. Change at any time. */
  rcpt: (address: string) => Reply | undefined;
  /** Scripted reply to the end of DATA; undefined = accept. */
  data: (msg: Received) => Reply | undefined;
  close(): Promise<void>;
}

function smtpError(r: Reply): Error {
  const e = new Error(r.message) as Error & { responseCode: number };
  e.responseCode = r.code;
  return e;
}

export async function startFakeMx(
  opts: { auth?: { user: string; pass: string }; starttls?: boolean; host?: string } = {},
): Promise<FakeMx> {
  const fake: FakeMx = {
    port: 0,
    received: [],
    rcpt: () => undefined,
    data: () => undefined,
    close: async () => undefined,
  };
  const options: SMTPServerOptions = {
    logger: false,
    authOptional: !opts.auth,
    allowInsecureAuth: true,
    disabledCommands: [...(opts.auth ? [] : ['AUTH']), ...(opts.starttls === false ? ['STARTTLS'] : [])],
    size: 50 * 1024 * 1024,
    onAuth(auth, _session, cb) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass)
        return cb(null, { user: auth.username });
      cb(smtpError({ code: 535, message: '5.7.8 authentication failed' }));
    },
    onRcptTo(address, _session, cb) {
      const r = fake.rcpt(address.address);
      cb(r ? smtpError(r) : null);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const msg: Received = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
          secure: session.secure,
          ...(typeof session.user === 'string' ? { user: session.user } : {}),
        };
        const r = fake.data(msg);
        if (r) return cb(smtpError(r));
        fake.received.push(msg);
        cb(null);
      });
    },
  };
  const server = new SMTPServer(options);
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, opts.host ?? '127.0.0.1', resolve));
  fake.port = (server.server.address() as { port: number }).port;
  fake.close = () => new Promise((resolve) => server.close(() => resolve()));
  return fake;
}
