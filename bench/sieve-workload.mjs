import { closeSync, openSync, readSync } from 'node:fs';

// The Sieve issue's benchmark workload: one 20-rule filing script and a mailbox of N distinct
// messages (deterministic, seeded), the same bytes for Mailstead and for Pigeonhole's sieve-filter.
//
// The script is what a user's filing rules look like (the standard-mode rule builder's conditions
// plus a few advanced ones): header :contains/:is/:matches/:regex, address :is/:domain, exists,
// size, relational :value, one body rule, addflag, fileinto, variables. No envelope test: a message
// in a mailbox has no envelope, so sieve-filter and Mailstead would not see the same one.
//
// The messages look like real mail: Received chains, DKIM-Signature, Return-Path, 15–30 header
// fields, plain, multipart/alternative and multipart/mixed with a base64 attachment, 1–60 kB, a few
// over 100 kB; senders, subjects and list headers drawn so that every rule fires on some messages.

export const RULES20 = `require ["fileinto", "imap4flags", "variables", "regex", "mailbox", "relational",
         "comparator-i;ascii-numeric", "body"];
# 1 spam score from the content filter
if header :value "ge" :comparator "i;ascii-numeric" "x-spam-score" "5" { fileinto "Junk"; stop; }
# 2 spam flag
if header :is "x-spam-flag" "YES" { fileinto "Junk"; stop; }
# 3 the boss
if address :is "from" "boss@example.test" { addflag "\\\\Flagged"; }
# 4 mailing lists by List-Id, one folder each
if header :matches "list-id" "*<*.lists.test>*" { fileinto :create "Lists/\${2}"; stop; }
# 5 bracketed list subjects
if header :regex "subject" "^\\\\[([a-z-]+)\\\\]" { set :lower "list" "\${1}"; fileinto :create "Lists/\${list}"; stop; }
# 6 invoices and receipts
if anyof (header :contains "subject" ["invoice", "facture", "receipt"],
          address :domain :is "from" ["billing.test", "shop.test"]) { fileinto "Finance"; stop; }
# 7 notifications
if address :domain :is "from" "notifications.test" { fileinto "Notifications"; stop; }
# 8 social networks
if address :domain :is "from" ["social.test", "friends.test"] { fileinto "Social"; stop; }
# 9 newsletters
if exists "list-unsubscribe" { fileinto "Newsletters"; stop; }
# 10 team mail
if address :is ["to", "cc"] "team@example.test" { fileinto "Team"; stop; }
# 11 big messages
if size :over 100K { fileinto "Large"; stop; }
# 12 bulk
if header :is "precedence" ["bulk", "list", "junk"] { fileinto "Bulk"; stop; }
# 13 automatic replies
if header :contains "auto-submitted" "auto-" { fileinto "Automated"; stop; }
# 14 urgent
if header :contains "subject" ["urgent", "asap"] { addflag "\\\\Flagged"; }
# 15 outside the company
if not address :domain :is "from" "example.test" { addflag "$External"; }
# 16 travel
if header :contains "subject" ["flight", "booking", "itinerary"] { fileinto "Travel"; stop; }
# 17 partners
if address :is "from" ["alice@partner.test", "bob@partner.test", "carol@partner.test"] { fileinto "Partners"; stop; }
# 18 replies
if header :matches "subject" "Re: *" { addflag "$Reply"; }
# 19 calendar invitations
if header :contains "content-type" "text/calendar" { fileinto "Calendar"; stop; }
# 20 unsubscribe links in the text
if body :text :contains ["unsubscribe", "opt out"] { fileinto "Promotions"; stop; }
keep;
`;

/** Small deterministic PRNG (mulberry32) so every run files the same mailbox. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SENDERS = [
  'boss@example.test',
  'colleague@example.test',
  'hr@example.test',
  'alice@partner.test',
  'bob@partner.test',
  'carol@partner.test',
  'dave@partner.test',
  'invoices@billing.test',
  'orders@shop.test',
  'noreply@notifications.test',
  'updates@social.test',
  'friend@friends.test',
  'news@newsletter.test',
  'someone@remote.test',
  'stranger@elsewhere.test',
  'dev-list@lists.test',
];
const WORDS = 'project meeting report draft budget plan review question update status notes agenda release build'.split(' ');
const SUBJECT_EXTRAS = ['invoice', 'receipt', 'urgent', 'asap', 'flight', 'booking', 'itinerary', 'Re: ', '[dev-list] ', '[ops] '];
const LINE = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt.\r\n';

function pick(r, a) {
  return a[Math.floor(r() * a.length)];
}

function body(r, kind, lines) {
  const text = (extra) => LINE.repeat(lines) + extra;
  const tail = r() < 0.15 ? 'To opt out of these messages, click the link below.\r\n' : 'Best regards,\r\nSomeone\r\n';
  if (kind === 'plain') return { ct: 'text/plain; charset=utf-8', text: text(tail) };
  if (kind === 'alternative') {
    const html = '<html><body>' + '<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>'.repeat(lines) +
      (r() < 0.3 ? '<a href="https://x.test/u">unsubscribe</a>' : '') + '</body></html>\r\n';
    return {
      ct: 'multipart/alternative; boundary="alt-b1"',
      text:
        `--alt-b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n${text(tail)}` +
        `\r\n--alt-b1\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${html}\r\n--alt-b1--\r\n`,
    };
  }
  // mixed: text + a base64 attachment (binary-looking bytes, 76-column lines)
  const att = Buffer.alloc(Math.floor(2000 + r() * 40000), 0).map((_, i) => (i * 131 + lines) & 0xff);
  const b64 = att.toString('base64').replace(/.{76}/g, '$&\r\n');
  const cal = r() < 0.1;
  return {
    ct: 'multipart/mixed; boundary="mix-b2"',
    text:
      `This is a multi-part message in MIME format.\r\n--mix-b2\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text(tail)}\r\n` +
      `--mix-b2\r\nContent-Type: ${cal ? 'text/calendar; method=REQUEST' : 'application/pdf; name="doc.pdf"'}\r\n` +
      `Content-Disposition: attachment; filename="${cal ? 'invite.ics' : 'doc.pdf'}"\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64}\r\n--mix-b2--\r\n`,
  };
}

/** Message i of the mailbox (a Buffer), deterministic. */
export function message(i) {
  const r = prng(20261127 + i * 7919);
  const from = pick(r, SENDERS);
  const domain = from.split('@')[1];
  let subject = `${pick(r, WORDS)} ${pick(r, WORDS)} ${i}`;
  if (r() < 0.45) subject = pick(r, SUBJECT_EXTRAS) + subject;
  if (r() < 0.05) subject = `=?utf-8?q?R=C3=A9union_${pick(r, WORDS)}?= ${i}`;
  const kind = r() < 0.55 ? 'plain' : r() < 0.7 ? 'alternative' : 'mixed';
  const lines = r() < 0.02 ? 1500 : Math.floor(5 + r() * 80);
  const b = body(r, kind, lines);
  const h = [];
  h.push(`Return-Path: <bounce-${i}@${domain}>`);
  for (let k = 0, n = 2 + Math.floor(r() * 4); k < n; k++)
    h.push(
      `Received: from mx${k}.${domain} (mx${k}.${domain} [192.0.2.${(i + k) % 250}])\r\n\tby mx.example.test (Mailstead) with ESMTPS id ${(i * 31 + k).toString(16)}\r\n\tfor <user1@example.test>; Mon, 2 Jan 2026 10:${String(k).padStart(2, '0')}:00 +0000`,
    );
  h.push(
    `DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=${domain}; s=sel;\r\n\th=from:to:subject:date:message-id; bh=${Buffer.from(`bh${i}`).toString('base64')}=;\r\n\tb=${Buffer.from(`signature-${i}-`.repeat(12)).toString('base64')}`,
  );
  h.push(`X-Spam-Score: ${Math.floor(r() * r() * 9)}`);
  if (r() < 0.02) h.push('X-Spam-Flag: YES');
  h.push(`From: ${from.split('@')[0]} <${from}>`);
  const to = r() < 0.1 ? 'team@example.test' : 'user1@example.test';
  h.push(`To: User One <${to}>`);
  if (r() < 0.3) h.push(`Cc: ${pick(r, SENDERS)}, Other <other@example.test>`);
  h.push(`Subject: ${subject}`);
  h.push(`Date: Mon, 2 Jan 2026 ${String(8 + (i % 10)).padStart(2, '0')}:00:00 +0000`);
  h.push(`Message-ID: <${i}.${(i * 2654435761) >>> 0}@${domain}>`);
  if (from.startsWith('dev-list') || r() < 0.08) {
    h.push(`List-Id: Dev list <${pick(r, ['dev', 'ops', 'users'])}.lists.test>`);
    h.push('Precedence: list');
  }
  if (from.startsWith('news') || r() < 0.05) h.push(`List-Unsubscribe: <mailto:unsub-${i}@${domain}>`);
  if (r() < 0.03) h.push('Precedence: bulk');
  if (r() < 0.03) h.push('Auto-Submitted: auto-replied');
  h.push('MIME-Version: 1.0');
  h.push(`Content-Type: ${b.ct}`);
  if (kind === 'plain') h.push('Content-Transfer-Encoding: 8bit');
  h.push('X-Mailer: Bench 1.0');
  return Buffer.from(h.join('\r\n') + '\r\n\r\n' + b.text, 'utf8');
}

/** What the script did with one message, in a form both engines print: "Folder [flags]". */
function outcome(folder, flags) {
  const f = [...new Set(flags.map((x) => x.toLowerCase()))].sort().join(' ');
  return f ? `${folder} [${f}]` : folder;
}

/** Histogram of outcomes from `sieve-filter` (dry run) output. */
export function pigeonholeOutcomes(stdout) {
  const counts = new Map();
  for (const block of stdout.split('>> Filtering message:').slice(1)) {
    let folder = null;
    let flags = [];
    const done = () => {
      if (folder !== null) counts.set(outcome(folder, flags), (counts.get(outcome(folder, flags)) ?? 0) + 1);
      folder = null;
      flags = [];
    };
    for (const line of block.split('\n')) {
      const store = /^\s*\* store message in folder: (.*)$/.exec(line);
      const add = /^\s*\+ add IMAP flags: (.*)$/.exec(line);
      if (store) {
        done();
        folder = store[1];
      } else if (add) flags.push(...add[1].trim().split(/\s+/));
    }
    done();
  }
  return counts;
}

const answer = (ev) => {
  switch (ev.type) {
    case 'mailbox-exists':
      return true;
    case 'current-date':
      return new Date();
    default:
      return ev.type === 'special-use-exists' || ev.type === 'duplicate' ? false : null;
  }
};

/**
 * Mailstead's side: compile once, then read each message file of the maildir and run the engine
 * over it, as sieve-filter reads its mailbox. `engine` is dist/src/sieve/index.js; returns the
 * outcome histogram when `count` is set.
 */
export function filterMaildir(engine, src, files, count = false) {
  const c = engine.compile(src, { name: 'rules20' });
  if (!c.ok) throw new Error(`rules20: ${JSON.stringify(c.errors)}`);
  const counts = new Map();
  // Each file is read into one reused buffer (as sieve-filter reads through fixed stream
  // buffers): allocating 130 MiB of message buffers would mostly measure the garbage collector.
  // The engine keeps no reference to the bytes after its run.
  let buf = Buffer.allocUnsafe(1 << 20);
  for (const f of files) {
    const fd = openSync(f, 'r');
    let raw;
    try {
      let got = 0;
      for (;;) {
        if (got === buf.length) {
          const bigger = Buffer.allocUnsafe(buf.length * 2);
          buf.copy(bigger, 0, 0, got);
          buf = bigger;
        }
        const k = readSync(fd, buf, got, buf.length - got, null);
        if (k === 0) break;
        got += k;
      }
      raw = buf.subarray(0, got);
    } finally {
      closeSync(fd);
    }
    const gen = engine.run(c.script, raw, {}, {});
    let step = gen.next();
    while (!step.done) step = gen.next(answer(step.value));
    if (!count) continue;
    const r = step.value;
    const add = (k) => counts.set(k, (counts.get(k) ?? 0) + 1);
    for (const a of r.actions) {
      if (a.type === 'fileinto') add(outcome(a.mailbox, a.flags ?? []));
      else if (a.type === 'keep') add(outcome('INBOX', a.flags ?? []));
    }
    if (r.implicitKeep) add(outcome('INBOX', r.implicitKeep.flags ?? []));
  }
  return counts;
}
