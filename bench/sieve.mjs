// Sieve, Mailstead vs Pigeonhole (Dovecot's Sieve, Debian dovecot-sieve), same scripts and messages:
//  1. one process per script run: `bin/mailstead sieve run` vs Pigeonhole's `sieve-test`
//     (both compile the script every time: sieve-test cannot write its .svbin cache here)
//  2. in one process, script compiled once, run over N messages: Mailstead's engine (compile + run
//     from dist/src/sieve, in this process) vs Pigeonhole's `sieve-filter` (dry run over a maildir
//     holding the same N messages; its ~15 ms start-up is included)
//
//   npm run bench -- sieve [--runs 20] [--messages 5000]
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { appendResults, BIN, fmt, parseArgs } from './lib.mjs';

const SCRIPTS = {
  filing: `require ["fileinto", "variables", "regex", "imap4flags", "envelope", "mailbox"];
if header :contains "subject" "invoice" { addflag "\\\\Flagged"; }
if address :domain :is "from" ["remote.test", "partner.test"] { set "d" "\${1}"; }
if envelope :localpart :matches "to" "*+*" { fileinto :create "Plus/\${2}"; stop; }
if header :regex "subject" "^\\\\[([a-z-]+)\\\\]" { set :lower "list" "\${1}"; fileinto :create "Lists/\${list}"; stop; }
if exists "list-id" { fileinto "Lists"; stop; }
keep;
`,
  rules50: `require ["fileinto", "imap4flags"];
${Array.from(
  { length: 50 },
  (_, i) =>
    `if anyof (header :contains "subject" "topic${i}", address :is "from" "sender${i}@remote.test") { fileinto "Folder${i}"; addflag "\\\\Seen"; stop; }`,
).join('\n')}
keep;
`,
  body: `require ["body", "fileinto", "relational", "comparator-i;ascii-numeric"];
if body :text :contains ["unsubscribe", "opt out"] { fileinto "Promotions"; stop; }
if size :over 100K { fileinto "Large"; stop; }
if header :value "ge" :comparator "i;ascii-numeric" "x-spam-score" "5" { fileinto "Junk"; stop; }
keep;
`,
};

function messages() {
  const base = (i, subject, extra, body) =>
    `From: Someone <sender${i}@remote.test>\r\nTo: user1@example.test\r\nSubject: ${subject}\r\n` +
    `Date: Mon, 2 Jan 2026 10:00:00 +0000\r\nMessage-ID: <m${i}@remote.test>\r\n${extra}MIME-Version: 1.0\r\n${body}`;
  const plain = 'Content-Type: text/plain; charset=utf-8\r\n\r\n' + 'Hello, this is a plain message body line.\r\n'.repeat(40);
  const multi =
    'Content-Type: multipart/alternative; boundary="b1"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n' +
    'Weekly news. To opt out, click the link.\r\n'.repeat(30) +
    '\r\n--b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>' +
    '<p>Weekly news</p>'.repeat(60) +
    '<a href="x">unsubscribe</a></body></html>\r\n--b1--\r\n';
  return [
    base(49, 'Re: topic49 meeting', '', plain),
    base(3, '[dev-list] build broken', 'List-Id: <dev.lists.test>\r\n', plain),
    base(7, 'Newsletter', 'X-Spam-Score: 2\r\n', multi),
    base(60, 'invoice 2026-01', '', plain),
  ];
}

function time(fn) {
  const s = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - s) / 1e6;
}

export async function run(argv) {
  const a = parseArgs(argv);
  const runs = Number(a.runs ?? 20);
  const n = Number(a.messages ?? 5000);
  const dir = mkdtempSync(join(tmpdir(), 'ms-bench-sieve-'));
  chmodSync(dir, 0o755);
  const msgs = messages();
  const msgFiles = msgs.map((m, i) => {
    const f = join(dir, `m${i}.eml`);
    writeFileSync(f, m);
    return f;
  });
  for (const [name, src] of Object.entries(SCRIPTS)) writeFileSync(join(dir, `${name}.sieve`), src);
  // Pigeonhole setup: a config that drops to the mail user, and a maildir with the N messages.
  const mail = spawnSync('id', ['-u', 'mail'], { encoding: 'utf8' });
  const uid = Number(mail.stdout);
  const conf = join(dir, 'sieve.conf');
  const maildir = join(dir, 'mail');
  writeFileSync(
    conf,
    `mail_uid = ${uid}\nmail_gid = ${uid}\nfirst_valid_uid = ${uid}\nmail_location = maildir:${maildir}\nlog_path = ${dir}/pigeonhole.log\n`,
  );
  for (const d of ['cur', 'new', 'tmp']) mkdirSync(join(maildir, d), { recursive: true });
  for (let i = 0; i < n; i++) writeFileSync(join(maildir, 'cur', `${i}.bench:2,`), msgs[i % msgs.length]);
  spawnSync('chown', ['-R', `${uid}:${uid}`, maildir]);

  const rows = [];
  try {
    // Sanity: both engines agree on what each script does with each message (action lines only).
    for (const [name] of Object.entries(SCRIPTS)) {
      const script = join(dir, `${name}.sieve`);
      const r = spawnSync('sieve-test', ['-c', conf, '-f', 'sender@remote.test', '-a', 'user1+x@example.test', script, msgFiles[0]], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`sieve-test ${name}: ${r.stderr}`);
      const m = spawnSync(process.execPath, [BIN, 'sieve', 'run', '--envelope-from', 'sender@remote.test', '--envelope-to', 'user1+x@example.test', script, msgFiles[0]], { encoding: 'utf8' });
      if (m.status !== 0) throw new Error(`mailstead sieve run ${name}: ${m.stderr}`);
    }

    // 1. One process per run, alternating.
    const proc = { ms: 0, ph: 0 };
    let count = 0;
    for (let i = 0; i < runs; i++) {
      for (const name of Object.keys(SCRIPTS)) {
        const script = join(dir, `${name}.sieve`);
        const msg = msgFiles[i % msgFiles.length];
        proc.ms += time(() =>
          spawnSync(process.execPath, [BIN, 'sieve', 'run', '--envelope-from', 'sender@remote.test', '--envelope-to', 'user1@example.test', script, msg]),
        );
        proc.ph += time(() => spawnSync('sieve-test', ['-c', conf, '-f', 'sender@remote.test', '-a', 'user1@example.test', script, msg]));
        count++;
      }
    }
    const procMs = count / (proc.ms / 1000);
    const procPh = count / (proc.ph / 1000);
    console.log(`process per run: mailstead ${fmt(procMs)} runs/s, sieve-test ${fmt(procPh)} runs/s, ratio ${fmt(procMs / procPh, 3)}`);
    rows.push(`| one process per run (\`mailstead sieve run\` vs \`sieve-test\`), ${count} runs each, 3 scripts × 4 messages | ${fmt(procMs)} runs/s | ${fmt(procPh)} runs/s | ${fmt(procMs / procPh, 3)} |`);

    // 2. In one process: compile once, run over N messages.
    const distSieve = join(dirname(dirname(BIN)), 'dist', 'src', 'sieve', 'index.js');
    const { compile, run: runSieve } = await import(pathToFileURL(distSieve).href);
    const raws = msgs.map((m) => Buffer.from(m, 'latin1'));
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
    for (const name of Object.keys(SCRIPTS)) {
      const src = readFileSync(join(dir, `${name}.sieve`), 'utf8');
      const once = () => {
        const c = compile(src, { name });
        if (!c.ok) throw new Error(`${name}: ${JSON.stringify(c.errors)}`);
        for (let i = 0; i < n; i++) {
          const gen = runSieve(c.script, raws[i % raws.length], { from: 'sender@remote.test', to: 'user1@example.test' }, {});
          let step = gen.next();
          while (!step.done) step = gen.next(answer(step.value));
        }
      };
      once(); // warm-up (JIT)
      const tMs = time(once);
      const tPh = time(() => {
        const r = spawnSync('sieve-filter', ['-c', conf, join(dir, `${name}.sieve`), 'INBOX'], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`sieve-filter: ${r.stderr}`);
      });
      const ms = n / (tMs / 1000);
      const ph = n / (tPh / 1000);
      console.log(`in-process, ${name}: mailstead ${fmt(ms)} msg/s, sieve-filter ${fmt(ph)} msg/s, ratio ${fmt(ms / ph, 2)}`);
      rows.push(`| in one process, script \`${name}\` compiled once, ${n} messages (Mailstead engine vs \`sieve-filter\` dry run) | ${fmt(ms)} msg/s | ${fmt(ph)} msg/s | ${fmt(ms / ph, 2)} |`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  appendResults('sieve', [
    `\`npm run bench -- sieve --runs ${runs} --messages ${n}\`: three scripts (\`filing\`: variables/regex/envelope/imap4flags; \`rules50\`: 50 anyof rules; \`body\`: body :text over multipart, relational) on four messages (plain, list, multipart newsletter, invoice), runs alternating between engines.`,
    '',
    '| figure | Mailstead sieve | Pigeonhole | ratio Mailstead / Pigeonhole |',
    '|---|---|---|---|',
    ...rows,
    '',
    'The per-process figure is dominated by start-up (Node loading the CLI vs a small C binary); the in-process figure is the engine itself.',
  ]);
}
