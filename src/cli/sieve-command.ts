/**
 * `mailstead sieve …`: run a script against a message (`run`) and run Pigeonhole
 * `.svtest` files (`testsuite`). This is the only Sieve module that touches the file
 * system; the engine itself stays pure.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { decodeEncodedWords } from '../mime/index.js';
import {
  compile,
  run,
  SieveMessage,
  type CompiledScript,
  type IncludeAnswer,
  type RunOptions,
  type SieveAction,
  type SieveEvent,
  type SieveResult,
} from '../sieve/index.js';
import { runTestsuiteFile } from '../sieve/testsuite/runner.js';

/** The settings the differential reference was recorded with (see its README). */
export const REFERENCE_RUN_OPTIONS: RunOptions = {
  recipientDelimiter: '+',
  vacation: { defaultPeriod: 7 * 86400, minPeriod: 0, maxPeriod: 0 },
  spamtest: { header: 'X-Spam-Score', type: 'score', maxValue: 10 },
  virustest: {
    header: 'X-Virus-Scan: Found to be (.+)\\.',
    type: 'text',
    textValues: { '1': 'clean', '5': 'infected' },
  },
};

const q = (s: string): string => JSON.stringify(s.replace(/\r\n/g, '\n'));

function flagsAttr(flags: readonly string[] | undefined): string {
  if (!flags || flags.length === 0) return '';
  const sorted = [...flags].sort((a, b) => {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return ` flags=${q(sorted.join(' '))}`;
}

function isInbox(a: SieveAction): boolean {
  return (
    a.type === 'keep' ||
    (a.type === 'fileinto' && a.mailbox.toUpperCase() === 'INBOX' && !a.create && !a.specialUse)
  );
}

function label(a: SieveAction): string {
  if (isInbox(a)) return 'keep';
  if (a.type === 'fileinto') return `fileinto ${q(a.mailbox)}`;
  if (a.type === 'redirect') return `redirect ${q(a.address)}`;
  return a.type;
}

function actionLine(a: SieveAction): string {
  switch (a.type) {
    case 'keep':
      return `keep${flagsAttr(a.flags)}`;
    case 'fileinto':
      if (isInbox(a)) return `keep${flagsAttr(a.flags)}`;
      return `fileinto ${q(a.mailbox)}${flagsAttr(a.flags)}${a.create ? ' create' : ''}${a.specialUse ? ` specialuse=${q(a.specialUse)}` : ''}`;
    case 'redirect':
      return `redirect ${q(a.address)}`;
    case 'discard':
      return 'discard';
    case 'reject':
      return `reject ${q(a.reason)}`;
    case 'vacation': {
      let s = `vacation to=${q(a.to)} seconds=${a.seconds}`;
      if (a.subject !== undefined) s += ` subject=${q(a.subject)}`;
      if (a.from !== undefined) s += ` from=${q(a.from)}`;
      if (a.handle !== undefined) s += ` handle=${q(a.handle)}`;
      s += ` reason=${q(a.reason)} response=${a.send ? 'sent' : 'suppressed'}`;
      if (a.send) s += ` reply-subject=${q(a.replySubject)} reply-from=${q(a.replyFrom)}`;
      return s;
    }
    case 'notify': {
      let s = `notify method=${q(a.method)} importance=${a.importance}`;
      const subject = a.message ?? a.mailto?.subject;
      if (subject !== undefined) s += ` subject=${q(subject)}`;
      if (a.from !== undefined) s += ` from=${q(a.from)}`;
      if (a.mailto) {
        if (a.mailto.to.length) s += ` to=${q(a.mailto.to.join(', '))}`;
        if (a.mailto.cc.length) s += ` cc=${q(a.mailto.cc.join(', '))}`;
        if (a.mailto.bcc.length) s += ` bcc=${q(a.mailto.bcc.join(', '))}`;
        if (a.mailto.body !== undefined) s += ` body=${q(a.mailto.body)}`;
      }
      return s;
    }
  }
}

function headerLines(headers: readonly { name: string; raw: string }[]): string[] {
  return headers.map((h) => {
    const raw = h.raw.slice(h.raw.indexOf(':') + 1);
    const v = decodeEncodedWords(raw.replace(/\r?\n[ \t]*/g, ' ').trim()).trim();
    return `${h.name}: ${v}`;
  });
}

/** Render a result in the differential corpus's normalized format. */
export function formatResult(
  result: SieveResult,
  original: readonly { name: string; raw: string }[],
  withHeaders: boolean,
): string {
  const lines: string[] = [];
  const blocks: string[] = [];
  if (result.status === 'error') lines.push('runtime-error');
  const deliveries: { label: string; headers: readonly { name: string; raw: string }[] }[] = [];
  for (const a of result.actions) {
    lines.push(actionLine(a));
    if (a.type === 'keep' || a.type === 'fileinto' || a.type === 'redirect')
      deliveries.push({ label: label(a), headers: a.headers ?? original });
  }
  if (result.implicitKeep) {
    const k = result.implicitKeep;
    if (!result.actions.some(isInbox)) {
      lines.push(`keep${flagsAttr(k.flags)}`);
      deliveries.push({ label: 'keep', headers: k.headers ?? original });
    }
  }
  if (withHeaders && result.status === 'ok') {
    for (const d of deliveries) blocks.push(`=== headers of ${d.label}`, ...headerLines(d.headers));
  }
  return [...lines, ...(blocks.length ? ['', ...blocks] : [])].join('\n') + '\n';
}

export interface RunArgs {
  from: string;
  to: string;
  mailboxes?: string;
  includeDir?: string;
  script: string;
  message: string;
}

function parseRunArgs(argv: string[]): RunArgs | string {
  let from = 'sender@example.com';
  let to = 'recipient@example.com';
  let mailboxes: string | undefined;
  let includeDir: string | undefined;
  const pos: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--envelope-from') from = argv[++i] ?? '';
    else if (a === '--envelope-to') to = argv[++i] ?? '';
    else if (a === '--mailboxes') mailboxes = argv[++i];
    else if (a === '--include-dir') includeDir = argv[++i];
    else if (a.startsWith('--')) return `unknown option ${a}`;
    else pos.push(a);
  }
  if (pos.length !== 2)
    return 'usage: sieve run --envelope-from A --envelope-to B [--mailboxes FILE] [--include-dir DIR] SCRIPT MESSAGE';
  return {
    from,
    to,
    ...(mailboxes ? { mailboxes } : {}),
    ...(includeDir ? { includeDir } : {}),
    script: pos[0]!,
    message: pos[1]!,
  };
}

function stripBrackets(a: string): string {
  return a.replace(/^<(.*)>$/, '$1');
}

async function runCommand(argv: string[]): Promise<number> {
  const args = parseRunArgs(argv);
  if (typeof args === 'string') {
    process.stderr.write(`${args}\n`);
    return 2;
  }
  const { output, diagnostics } = await sieveRunToString(args);
  process.stderr.write(diagnostics);
  process.stdout.write(output);
  return 0;
}

/** `sieve run` without the process: returns the normalized result and diagnostics. */
export async function sieveRunToString(args: RunArgs): Promise<{ output: string; diagnostics: string }> {
  let diagnostics = '';
  const source = readFileSync(args.script, 'utf8');
  const compiled = compile(source, { name: 'main' });
  if (!compiled.ok) {
    for (const e of compiled.errors)
      diagnostics += `${args.script}:${e.line}:${e.column}: error: ${e.message}\n`;
    return { output: 'compile-error\n', diagnostics };
  }
  const raw = readFileSync(args.message);
  const mailboxes = new Set(['INBOX']);
  if (args.mailboxes && existsSync(args.mailboxes))
    for (const l of readFileSync(args.mailboxes, 'utf8').split(/\r?\n/))
      if (l.trim()) mailboxes.add(l.trim());
  const includeDir = args.includeDir ?? join(dirname(resolve(args.script)), 'include');
  const answer = (ev: SieveEvent): unknown => {
    switch (ev.type) {
      case 'mailbox-exists':
        return mailboxes.has(ev.mailbox) || ev.mailbox.toUpperCase() === 'INBOX';
      case 'special-use-exists':
        return false;
      case 'duplicate':
        return false;
      case 'current-date':
        return new Date();
      case 'environment':
        return environmentItem(ev.name);
      case 'metadata':
        return null;
      case 'include':
        return loadInclude(includeDir, ev.location, ev.name);
    }
  };
  const gen = run(
    compiled.script,
    raw,
    { from: stripBrackets(args.from), to: stripBrackets(args.to) },
    REFERENCE_RUN_OPTIONS,
  );
  let step = gen.next();
  while (!step.done) step = gen.next(answer(step.value));
  const result = step.value;
  for (const e of result.errors)
    diagnostics += `${args.script}:${e.line}: ${result.status === 'error' ? 'error' : 'warning'}: ${e.message}\n`;
  const original = new SieveMessage(raw).headers;
  return {
    output: formatResult(result, original, compiled.script.requires.includes('editheader')),
    diagnostics,
  };
}

export function environmentItem(name: string): string | null {
  switch (name) {
    case 'name':
      return 'Mailstead';
    case 'version':
      return '0.1.0';
    case 'domain':
      return 'localhost';
    case 'host':
      return 'localhost';
    case 'phase':
      return 'during';
    case 'location':
      return 'MDA';
    default:
      return null;
  }
}

function loadInclude(dir: string, location: 'personal' | 'global', name: string): IncludeAnswer {
  const file = join(dir, location, `${name}.sieve`);
  if (!existsSync(file) || !statSync(file).isFile()) return { ok: false, missing: true };
  const r = compile(readFileSync(file, 'utf8'), { name, isIncluded: true });
  if (!r.ok)
    return {
      ok: false,
      missing: false,
      error: r.errors.map((e) => `${e.line}:${e.column}: ${e.message}`).join('; '),
    };
  return { ok: true, script: r.script as CompiledScript };
}

function collectSvtests(path: string, out: string[]): void {
  const st = statSync(path);
  if (st.isDirectory()) {
    for (const name of readdirSync(path).sort()) collectSvtests(join(path, name), out);
  } else if (path.endsWith('.svtest') || path.endsWith('.svtest.in')) out.push(path);
}

/** Run `.svtest` files/directories; plugin-only extprograms tests are reported as skipped. */
export function runTestsuitePaths(
  paths: string[],
  write: (s: string) => void,
): { passed: number; failed: number } {
  const files: string[] = [];
  for (const p of paths) collectSvtests(resolve(p), files);
  const io = {
    readFile: (p: string): Uint8Array | null => {
      try {
        return readFileSync(p);
      } catch {
        return null;
      }
    },
  };
  let passed = 0;
  let failed = 0;
  for (const f of files) {
    if (f.includes('/plugins/extprograms/')) {
      write(`Test case: ${f}: SKIPPED (extprograms plugin not available)\n\n`);
      continue;
    }
    const r = runTestsuiteFile(f, io, f.includes('/failures/'));
    write(r.output + '\n');
    passed += r.blocks - r.failed;
    failed += r.failed;
  }
  write(`${passed} passed, ${failed} failed\n`);
  return { passed, failed };
}

function testsuiteCommand(argv: string[]): number {
  for (const p of argv) {
    if (!existsSync(p)) {
      process.stderr.write(`${p}: no such file or directory\n`);
      return 2;
    }
  }
  const { failed } = runTestsuitePaths(argv, (s) => process.stdout.write(s));
  return failed ? 1 : 0;
}

export async function sieveCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'run':
      return runCommand(rest);
    case 'testsuite':
      return testsuiteCommand(rest);
    default:
      process.stderr.write('usage: sieve run … | sieve testsuite PATH…\n');
      return 2;
  }
}
