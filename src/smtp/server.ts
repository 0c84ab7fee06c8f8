// SMTP in its two roles: the MX (port 25: mail for our addresses from anyone, never a relay) and
// submission (587 STARTTLS / 465 TLS: authenticated users sending anywhere as themselves).
// Sessions are thin: each hook asks the domain (resolution, auth, policy, delivery) and maps the
// answer to a reply.
import type {
  SMTPServer,
  SMTPServerAddress,
  SMTPServerAuthentication,
  SMTPServerDataStream,
  SMTPServerSession,
} from 'smtp-server';
import type { Core } from '../core/context.js';
import type { Socket } from 'node:net';
import type { Connection } from '../server/listener.js';
import { authenticate } from '../core/security/auth.js';
import { isStorageFull } from '../core/errors.js';
import { isBanned } from '../core/security/bans.js';
import { resolveRecipient } from '../core/directory/resolve.js';
import type { Mode, SessionState, SmtpOptions } from './session.js';
import { maySendAs } from '../core/submission/sender-policy.js';
import { logMail } from '../core/maillog/mail-log.js';
import { attachSocket, closeLibraryConnections, createLibraryServer, smtpError } from './smtp-library.js';
import { readMessage } from './read-message.js';
import { handleMxData } from './mx-data.js';
import { handleSubmissionData } from './submission-data.js';

export interface SmtpService {
  handlers: {
    smtp: (c: Connection) => void;
    submission: (c: Connection) => void;
    submissions: (c: Connection) => void;
  };
  close(): Promise<void>;
}

const RELAY_TRICK = /[%!"]|@.*@|^@|:/;

export function createSmtpService(core: Core, opts: SmtpOptions): SmtpService {
  const states = new Map<string, SessionState>();
  /** Messages between the end of DATA and our reply: shutdown waits for them (no 250 cut off). */
  let inFlight = 0;
  const stateOf = (session: SMTPServerSession, mode: Mode): SessionState => {
    let s = states.get(session.id);
    if (!s) {
      s = { mode, account: null, recipients: new Map(), rcptCount: 0 };
      states.set(session.id, s);
    }
    return s;
  };

  const make = (mode: Mode, secure: boolean): SMTPServer =>
    createLibraryServer(
      {
        name: opts.hostname,
        banner: 'Mailstead ESMTP',
        secure,
        key: opts.tls.key,
        cert: opts.tls.cert,
        size: opts.maxMessageSize,
        authMethods: ['PLAIN', 'LOGIN'],
        authOptional: mode === 'mx',
        disabledCommands: mode === 'mx' ? ['AUTH'] : [],
        allowInsecureAuth: false,
        hideREQUIRETLS: true,
        hideENHANCEDSTATUSCODES: false,
        hideDSN: false,
        socketTimeout: opts.idleTimeoutMs,
        closeTimeout: 5_000,
        maxAllowedUnauthenticatedCommands: mode === 'mx' ? false : 20,
        logger: false,
        // no PTR lookups: they leak every client address to the resolver and slow the greeting
        disableReverseLookup: true,
        onConnect(session, cb) {
          isBanned(core, session.remoteAddress).then(
            (banned) =>
              cb(
                banned
                  ? smtpError(554, '5.7.1', 'Your address is banned after repeated failed logins; try later')
                  : undefined,
              ),
            () => cb(),
          );
        },
        onAuth(auth: SMTPServerAuthentication, session, cb) {
          if (mode !== 'submission') return cb(smtpError(503, '5.5.1', 'AUTH not available here'));
          authenticate(core, {
            username: auth.username ?? '',
            password: auth.password ?? '',
            protocol: 'smtp',
            remoteIp: session.remoteAddress,
            secure: session.secure,
          }).then(
            (r) => {
              if (!r.ok) {
                if (r.reason === 'insecure')
                  return cb(smtpError(538, '5.7.11', 'Encryption required: use STARTTLS first'));
                if (r.reason === 'banned')
                  return cb(smtpError(454, '4.7.0', 'Too many failed logins; try later'));
                if (r.reason === 'disabled') return cb(smtpError(535, '5.7.8', 'Account disabled'));
                return cb(smtpError(535, '5.7.8', 'Authentication credentials invalid'));
              }
              stateOf(session, mode).account = r.account;
              cb(null, { user: r.account.address });
            },
            (err: unknown) => {
              core.log.error({ err }, 'smtp auth failed');
              cb(smtpError(454, '4.7.0', 'Temporary authentication failure'));
            },
          );
        },
        onMailFrom(address: SMTPServerAddress, session, cb) {
          const st = stateOf(session, mode);
          st.recipients.clear();
          st.rcptCount = 0;
          if (mode === 'submission') {
            if (!st.account || !session.user) return cb(smtpError(530, '5.7.0', 'Authentication required'));
            if (address.address === '')
              return cb(smtpError(553, '5.7.1', 'The null sender is not allowed for submission'));
            maySendAs(core, st.account, address.address).then(
              (ok) =>
                cb(
                  ok
                    ? undefined
                    : smtpError(553, '5.7.1', `Sender address rejected: not owned by ${st.account!.address}`),
                ),
              (err: unknown) => {
                core.log.error({ err }, 'sender check failed');
                cb(smtpError(451, '4.3.0', 'Temporary failure, try again'));
              },
            );
            return;
          }
          cb();
        },
        onRcptTo(address: SMTPServerAddress, session, cb) {
          const st = stateOf(session, mode);
          if (session.envelope.rcptTo.length >= opts.maxRecipients)
            return cb(smtpError(452, '4.5.3', `Too many recipients (at most ${opts.maxRecipients})`));
          onRcpt(core, st, address.address).then(
            (err) => cb(err),
            (err: unknown) => {
              core.log.error({ err }, 'recipient check failed');
              cb(smtpError(451, '4.3.0', 'Temporary failure, try again'));
            },
          );
        },
        onData(stream: SMTPServerDataStream, session, cb) {
          const st = stateOf(session, mode);
          inFlight++;
          const done: typeof cb = (...args) => {
            inFlight--;
            cb(...(args as Parameters<typeof cb>));
          };
          readMessage(stream)
            .then(async (raw) => {
              if (stream.sizeExceeded)
                throw smtpError(552, '5.3.4', `Message too big (at most ${opts.maxMessageSize} bytes)`);
              const ctx = { core, opts, session, state: st, raw };
              return mode === 'mx' ? handleMxData(ctx) : handleSubmissionData(ctx);
            })
            .then(
              (reply) => done(null, reply),
              (err: Error & { responseCode?: number }) => {
                if (!err.responseCode && isStorageFull(err)) {
                  core.log.error({ err }, 'storage full: message refused for now');
                  return done(smtpError(452, '4.3.1', 'Insufficient system storage, try again later'));
                }
                if (!err.responseCode) {
                  core.log.error({ err }, 'message processing failed');
                  return done(
                    smtpError(451, '4.3.0', 'Temporary failure while storing the message; try again'),
                  );
                }
                done(err);
              },
            );
        },
        onClose(session) {
          states.delete(session.id);
        },
      },
      (err) => core.log.info({ err: err.message, mode }, 'smtp connection error'),
    );

  const mx = make('mx', false);
  const submission = make('submission', false);
  const submissions = make('submission', true);
  const attach = (server: SMTPServer, authNeedsTls: boolean) => (c: Connection) =>
    // Its listeners are nodeSocket ones (src/cli/serve.ts): a net.Socket or a TLSSocket, never lean.
    attachSocket(server, c.socket as Socket, {
      remoteAddress: c.remoteAddress,
      remotePort: c.remotePort,
      authNeedsTls,
    });
  return {
    handlers: {
      smtp: attach(mx, true),
      submission: attach(submission, true),
      submissions: attach(submissions, true),
    },
    async close() {
      // The library's own close() waits for a listening server we never start, so we drain here:
      // let every message in flight get its reply, then 421 to everyone (RFC 5321 §3.8).
      const deadline = Date.now() + 8000;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      for (const server of [mx, submission, submissions]) closeLibraryConnections(server);
    },
  };
}

/** RCPT TO: the one resolution function decides; the MX never relays. */
async function onRcpt(core: Core, st: SessionState, rcpt: string): Promise<Error | undefined> {
  if (RELAY_TRICK.test(rcpt)) return smtpError(550, '5.7.1', 'Relaying denied');
  const r = await resolveRecipient(core, rcpt);
  switch (r.kind) {
    case 'invalid':
      return smtpError(553, '5.1.3', 'Bad recipient address syntax');
    case 'unknown':
      await logMail(core, {
        address: rcpt,
        direction: 'in',
        messageId: '',
        event: 'rejected',
        detail: { reason: 'no such user' },
      });
      return smtpError(550, '5.1.1', 'No such user here');
    case 'disabled':
      return smtpError(550, '5.2.1', 'Mailbox disabled');
    case 'remote':
      if (st.mode === 'submission') {
        st.recipients.set(rcpt, r);
        return undefined;
      }
      return smtpError(554, '5.7.1', 'Relaying denied: not a local address');
    case 'local': {
      for (const t of r.targets) {
        if (t.kind !== 'mailbox') continue;
        const addr = await core.store.directory.getAddress(t.account.addressId);
        if (addr && addr.quotaBytes > 0 && addr.usedBytes >= addr.quotaBytes) {
          await logMail(core, {
            address: r.canonical,
            direction: 'in',
            messageId: '',
            event: 'deferred',
            detail: { reason: 'mailbox full' },
          });
          return smtpError(452, '4.2.2', 'Mailbox full, try again later');
        }
      }
      st.recipients.set(rcpt, r);
      return undefined;
    }
  }
}

export type { SmtpOptions } from './session.js';
