// One SMTP client transaction to one host (RFC 5321 §3.3), on nodemailer's SMTP client: connect,
// EHLO, opportunistic STARTTLS, optional AUTH, MAIL/RCPT/DATA, QUIT. The replies are turned into
// per-recipient results, or into "try the next host" when this one never got to judge the
// recipients (no connection, bad greeting, a temporary refusal of the sender).
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { RecipientResult } from '../../core/queue/transport.js';

export interface SessionTarget {
  /** IP address (we resolve through our own resolver, never the system's). */
  address: string;
  port: number;
  /** The name we looked up: TLS SNI, the mail log and the DSN's Remote-MTA. */
  name: string;
  /** Implicit TLS from the first byte (port 465 smarthosts). */
  secure?: boolean;
  /** Refuse to continue without TLS (a smarthost we log in to). */
  requireTls?: boolean;
  /** Check the certificate; MX delivery is opportunistic and does not (RFC 7435). */
  verifyCertificate?: boolean;
  auth?: { user: string; pass: string };
}

export interface SessionOptions {
  /** Our name for EHLO. */
  heloName: string;
  connectTimeoutMs: number;
  greetingTimeoutMs: number;
  socketTimeoutMs: number;
}

export type SessionOutcome =
  | { kind: 'done'; results: RecipientResult[] }
  /** This host could not take the message now; the next one may. */
  | { kind: 'next-host'; code: number; text: string };

interface SmtpError extends Error {
  code?: string;
  command?: string;
  response?: string;
  responseCode?: number;
  recipient?: string;
  rejectedErrors?: SmtpError[];
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').trim();
}

export function classify(code: number): RecipientResult['status'] {
  if (code >= 200 && code < 300) return 'sent';
  if (code >= 500 && code < 600) return 'perm';
  return 'temp';
}

function replyText(e: SmtpError): string {
  return oneLine(e.response ?? e.message);
}

const has8bit = (b: Buffer): boolean => b.some((c) => c >= 0x80);

/**
 * Runs one client step. Connection failures reach nodemailer's 'error' event rather than the
 * step's callback, and a peer hanging up shows only as 'end', so all three settle the step.
 */
function step<T>(
  conn: SMTPConnection,
  start: (done: (err: Error | null, value?: T) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | null, value?: T): void => {
      if (settled) return;
      settled = true;
      conn.off('error', onError);
      conn.off('end', onEnd);
      if (err) reject(err);
      else resolve(value as T);
    };
    const onError = (err: Error): void => finish(err);
    const onEnd = (): void =>
      finish(Object.assign(new Error('connection closed by the remote host'), { code: 'ECONNECTION' }));
    conn.on('error', onError);
    conn.on('end', onEnd);
    start(finish);
  });
}

function connect(conn: SMTPConnection): Promise<void> {
  return step(conn, (done) => conn.connect((err) => done(err ?? null)));
}

function login(conn: SMTPConnection, auth: { user: string; pass: string }): Promise<void> {
  return step(conn, (done) => conn.login(auth, (err) => done(err)));
}

function send(
  conn: SMTPConnection,
  sender: string,
  recipients: string[],
  raw: Buffer,
): Promise<{ accepted: string[]; rejectedErrors: SmtpError[]; response: string }> {
  return step(conn, (done) =>
    conn.send(
      {
        from: sender === '' ? false : sender,
        to: recipients,
        size: raw.length,
        use8BitMime: has8bit(raw),
      },
      raw,
      (err, info) => {
        if (err) return done(err);
        done(null, {
          accepted: info.accepted,
          rejectedErrors: (info.rejectedErrors ?? []) as SmtpError[],
          response: info.response,
        });
      },
    ),
  );
}

export async function runSession(
  target: SessionTarget,
  opts: SessionOptions,
  sender: string,
  recipients: string[],
  raw: Buffer,
): Promise<SessionOutcome> {
  const remoteMta = target.name;
  const conn = new SMTPConnection({
    host: target.address,
    port: target.port,
    secure: target.secure ?? false,
    name: opts.heloName,
    opportunisticTLS: !target.requireTls,
    requireTLS: target.requireTls ?? false,
    tls: {
      rejectUnauthorized: target.verifyCertificate ?? false,
      ...(/^[\d.:]+$/.test(target.name) ? {} : { servername: target.name }),
    },
    connectionTimeout: opts.connectTimeoutMs,
    greetingTimeout: opts.greetingTimeoutMs,
    socketTimeout: opts.socketTimeoutMs,
    logger: false,
  });
  // errors also arrive as events; the callbacks below report them
  conn.on('error', () => undefined);
  const forAll = (status: RecipientResult['status'], code: number, text: string): SessionOutcome => ({
    kind: 'done',
    results: recipients.map((recipient) => ({ recipient, status, code, text, remoteMta })),
  });
  try {
    try {
      await connect(conn);
      if (target.auth) await login(conn, target.auth);
    } catch (e) {
      const err = e as SmtpError;
      const code = err.responseCode ?? 0;
      return { kind: 'next-host', code, text: `${remoteMta}: ${code ? replyText(err) : err.message}` };
    }
    try {
      const info = await send(conn, sender, recipients, raw);
      const refused = new Map(info.rejectedErrors.map((r) => [r.recipient ?? '', r]));
      const accepted = new Set(info.accepted);
      return {
        kind: 'done',
        results: recipients.map((recipient) => {
          const r = refused.get(recipient);
          if (r || !accepted.has(recipient)) {
            const code = r?.responseCode ?? 0;
            return {
              recipient,
              status: classify(code),
              code,
              text: r ? replyText(r) : 'not accepted',
              remoteMta,
            };
          }
          const code = Number(info.response.slice(0, 3)) || 250;
          return { recipient, status: 'sent', code, text: oneLine(info.response), remoteMta };
        }),
      };
    } catch (e) {
      const err = e as SmtpError;
      const code = err.responseCode ?? 0;
      // a temporary refusal of the sender is about this host, not the recipients: try another
      if (err.command === 'MAIL FROM' && code >= 400 && code < 500)
        return { kind: 'next-host', code, text: `${remoteMta}: ${replyText(err)}` };
      if (err.rejectedErrors && err.rejectedErrors.length > 0) {
        const refused = new Map(err.rejectedErrors.map((r) => [r.recipient ?? '', r]));
        return {
          kind: 'done',
          results: recipients.map((recipient) => {
            const r = refused.get(recipient);
            const c = r?.responseCode ?? code;
            return { recipient, status: classify(c), code: c, text: replyText(r ?? err), remoteMta };
          }),
        };
      }
      // a reply to DATA or to the message itself judges every recipient it had accepted;
      // a broken connection with no reply is temporary (the message may arrive twice, never zero times)
      if (code > 0) return forAll(classify(code), code, replyText(err));
      if (err.code === 'EENVELOPE') return forAll('perm', 553, `553 5.1.3 ${oneLine(err.message)}`);
      return forAll('temp', 0, `${remoteMta}: ${oneLine(err.message)}`);
    }
  } finally {
    if (conn.stage === 'connected' && !conn.destroyed) conn.quit();
    else conn.close();
  }
}
