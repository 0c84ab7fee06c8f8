/**
 * `vnd.dovecot.testsuite` (see shared/conformance/sieve/pigeonhole/README.md §2). Only
 * the test runner registers it; delivery never sees these commands.
 */
import { posix } from 'node:path';
import { compile } from '../compiler.js';
import type { CommandDef, Extension } from '../extension.js';
import {
  flattenAddresses,
  parseAddressList,
  parseAddrSpec,
  parseSmtpPath,
  type MimePart,
} from '../../mime/index.js';
import { matchSpec, matchValues } from '../runtime/match.js';
import { SieveMessage } from '../runtime/message.js';
import { ReturnSignal, SieveRuntimeFailure, StopSignal, type Runtime } from '../runtime/runtime.js';
import type { CNode, CompiledScript, Envelope, SieveAction, SieveEvent } from '../types.js';
import { composeNotify, composeReject, composeVacation, type OutgoingMessage } from './compose.js';
import { DEFAULT_MESSAGE, type TestsuiteState } from './state.js';
import { COMPARATOR_TAG, MATCH_TYPE_TAGS } from '../extensions/tags.js';

/** Fails the current test block. */
export class TestFailSignal {
  constructor(readonly reason: string) {}
}

const SET_OBJECTS = ['message', 'envelope.from', 'envelope.to', 'envelope.orig_to', 'envelope.auth'];

/** Envelope derived from a message's headers (README §1). */
export function deriveEnvelope(msg: SieveMessage): Envelope {
  const first = (names: string[]): string | undefined => {
    for (const n of names)
      for (const v of msg.rawValues(n)) {
        const a = flattenAddresses(parseAddressList(v)).find((x) => x.valid);
        if (a) return a.address;
      }
    return undefined;
  };
  const to = first(['envelope-to', 'to']) ?? 'recipient@example.com';
  const from = first(['return-path', 'sender', 'from']) ?? 'sender@example.com';
  return { from, to, origTo: to, auth: 'testsuite' };
}

export function loadMessage(rt: Runtime, raw: Uint8Array | string): void {
  const bytes = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  rt.message = new SieveMessage(bytes);
  rt.envelope = deriveEnvelope(rt.message);
  rt.state.delete('currentdate');
}

function validMailboxName(name: string): boolean {
  if (name === '' || name.includes('/') || name.includes('\uFFFD') || /[\x00-\x1f]/.test(name)) return false;
  return !name.split('.').some((p) => p === '');
}

/** INBOX is case-insensitive, also as the first level of a hierarchical name ("Inbox.Junk"). */
export function mailboxName(name: string): string {
  return /^inbox(\.|$)/i.test(name) ? `INBOX${name.slice(5)}` : name;
}

/** Whether any part is a Content-Disposition: attachment (Dovecot's attachment detection). */
function hasAttachment(part: MimePart): boolean {
  if (part.disposition?.type.toLowerCase() === 'attachment') return true;
  return part.children.some(hasAttachment) || (part.message ? hasAttachment(part.message) : false);
}

/** The message as it would be delivered, with editheader changes. */
function currentRaw(rt: Runtime, headers?: readonly { raw: string }[]): Uint8Array {
  if (!headers) return rt.message.raw;
  const body = rt.message.raw.subarray(rt.message.root.headerEnd);
  const h = headers.map((x) => `${x.raw}\r\n`).join('');
  return Buffer.concat([Buffer.from(`${h}\r\n`, 'utf8'), body]);
}

function actionName(a: SieveAction): string {
  switch (a.type) {
    case 'fileinto':
      return 'store';
    default:
      return a.type;
  }
}

export function createTestsuiteExtension(st: TestsuiteState): Extension {
  const compileAt = (path: string, baseDir: string): { script?: CompiledScript; dir: string } => {
    const full = posix.resolve(baseDir, path);
    const src = st.io.readFile(full);
    st.errors = [];
    if (!src) {
      st.errors.push(`failed to open script ${path}`);
      return { dir: posix.dirname(full) };
    }
    const name = posix.basename(full).replace(/\.(sieve|svtest)$/, '');
    const r = compile(Buffer.from(src).toString('utf8'), {
      name,
      extensions: [ext],
      limits: st.options.limits ?? {},
      includeLoader: st.includeLoader,
      ...(st.options.maxHeaderSize !== undefined ? { maxHeaderSize: st.options.maxHeaderSize } : {}),
    });
    if (!r.ok) {
      st.errors.push(...r.errors.map((e) => e.message));
      // Pigeonhole logs a final summary error after the individual ones.
      st.errors.push(`failed to compile script ${path}`);
      return { dir: posix.dirname(full) };
    }
    return { script: r.script, dir: posix.dirname(full) };
  };

  function store(
    rt: Runtime,
    mailbox: string,
    create: boolean,
    flags: readonly string[] | undefined,
    raw: Uint8Array,
  ): boolean {
    mailbox = mailboxName(mailbox);
    let box = st.mailboxes.get(mailbox);
    if (!box) {
      if (!validMailboxName(mailbox)) {
        st.errors.push(`failed to store into mailbox '${mailbox}': invalid mailbox name`);
        return false;
      }
      if (!create) {
        st.errors.push(`failed to store into mailbox '${mailbox}': Mailbox doesn't exist: ${mailbox}`);
        return false;
      }
      box = [];
      st.mailboxes.set(mailbox, box);
    }
    const stored = [...(flags ?? (rt.has('imap4flags') ? rt.flags : []))];
    // Dovecot's mail store adds an attachment keyword on save (mail_attachment_detection_options
    // = add-flags, its default since 2.4); the imap4flags tests count it.
    const kw = hasAttachment(new SieveMessage(raw).root) ? '$HasAttachment' : '$HasNoAttachment';
    if (!stored.some((f) => f.toLowerCase() === kw.toLowerCase())) stored.push(kw);
    box.push({ raw, flags: stored });
    return true;
  }

  function executeResult(rt: Runtime, implicitKeep = true): boolean {
    const actions = rt.resultActions;
    const send = (m: OutgoingMessage): void => {
      st.smtp.push(m);
    };
    const redirectFrom = (): string => {
      const cfg = st.get('sieve_redirect_envelope_from')?.trim().toLowerCase();
      const env = rt.envelope;
      if (!cfg || cfg === 'sender') return env.from;
      if (cfg === 'recipient') return env.to;
      if (cfg === 'orig_recipient') return env.origTo ?? env.to;
      if (cfg === 'user_email') return st.get('sieve_user_email') ?? env.to;
      if (cfg === 'postmaster') return 'postmaster@example.com';
      return cfg.replace(/^<|>$/g, '');
    };
    const notified = new Set<string>();
    // When an action fails, Pigeonhole falls back to keeping the original message (no edits),
    // unless it was kept already.
    const failureKeep = (): false => {
      if (!st.implicitKeepDone && !actions.slice(0, st.executed).some((a) => a.type === 'keep')) {
        st.implicitKeepDone = true;
        store(rt, 'INBOX', false, [], rt.message.raw);
      }
      return false;
    };
    for (; st.executed < actions.length; st.executed++) {
      const a = actions[st.executed]!;
      switch (a.type) {
        case 'keep':
          if (!store(rt, 'INBOX', false, a.flags, currentRaw(rt, a.headers))) return failureKeep();
          break;
        case 'fileinto':
          if (!store(rt, a.mailbox, a.create, a.flags, currentRaw(rt, a.headers))) return failureKeep();
          break;
        case 'redirect': {
          // Loop protection: a copy we redirected before comes back (Pigeonhole's X-Sieve-Redirected-From).
          const me = st.get('sieve_user_email') ?? rt.envelope.to;
          const marks = rt.message.values('x-sieve-redirected-from').map((v) => v.trim().toLowerCase());
          if (marks.includes(me.toLowerCase()) || marks.includes(rt.envelope.to.toLowerCase())) break;
          const raw = currentRaw(rt, a.headers);
          const from = rt.envelope.from === '' ? '' : redirectFrom();
          send({
            from,
            to: a.address,
            raw: Buffer.concat([Buffer.from(`X-Sieve-Redirected-From: ${me}\r\n`), raw]),
          });
          break;
        }
        case 'reject':
          if (rt.envelope.from)
            send(
              composeReject(
                a.reason,
                rt.envelope.from,
                rt.envelope.to,
                rt.message.values('subject')[0] ?? '',
                rt.message.raw,
              ),
            );
          break;
        case 'vacation':
          if (a.send)
            send(
              composeVacation(a, rt.message.headers, {
                ...(st.bool('sieve_vacation_send_from_recipient', false)
                  ? { envelopeFrom: rt.envelope.to }
                  : {}),
                ignoreEnvelope: st.bool('sieve_vacation_to_header_ignore_envelope', false),
              }),
            );
          break;
        case 'notify': {
          const cfg = st.get('sieve_notify_mailto_envelope_from')?.trim().toLowerCase();
          const env = rt.envelope;
          const auto = rt.message.values('auto-submitted')[0];
          if (auto !== undefined && auto.trim().toLowerCase() !== 'no') break;
          const fromTag = a.from !== undefined ? (parseAddrSpec(a.from)?.address ?? a.from) : undefined;
          // A notification about a message with the null sender goes out with the null sender.
          const efrom =
            env.from === ''
              ? ''
              : cfg === 'sender'
                ? env.from
                : cfg === 'recipient'
                  ? env.to
                  : cfg === 'orig_recipient'
                    ? (env.origTo ?? env.to)
                    : cfg === 'user_email'
                      ? (st.get('sieve_user_email') ?? env.to)
                      : cfg
                        ? cfg.replace(/^<|>$/g, '')
                        : (fromTag ?? 'postmaster@example.com');
          for (const m of composeNotify(a, efrom, 'Postmaster <postmaster@example.com>', notified)) send(m);
          break;
        }
        case 'discard':
          break;
      }
    }
    rt.executedActions = st.executed;
    if (implicitKeep && rt.keepInEffect && !st.implicitKeepDone) {
      st.implicitKeepDone = true;
      if (
        !store(
          rt,
          'INBOX',
          false,
          undefined,
          currentRaw(rt, rt.message.isEdited ? rt.message.headers : undefined),
        )
      )
        return false;
    }
    return true;
  }

  function resetResult(rt: Runtime): void {
    rt.resetResult();
    rt.flags = [];
    st.executed = 0;
    st.implicitKeepDone = false;
  }

  const matchTags = [...MATCH_TYPE_TAGS, COMPARATOR_TAG, { name: 'index', param: 'number' as const }];

  const hybridFail = (node: CNode, ok: boolean, reason: string): boolean => {
    if (!ok && node.tags['@command'] !== undefined) throw new TestFailSignal(reason);
    return ok;
  };

  const commands: CommandDef[] = [
    {
      name: 'test',
      kind: 'command',
      positional: ['string'],
      block: 'required',
      validate(_node, cc, pos) {
        if (cc.state.get('inTestBlockOuter')) cc.error(pos, 'tests cannot be nested');
      },
      *run(rt, node) {
        const name = rt.expandOne(node.args[0]);
        const n = ++st.blockNumber;
        try {
          yield* rt.execBlock(node.block ?? []);
          st.output.push(`${String(n).padStart(2)}: Test '${name}' SUCCEEDED`);
        } catch (e) {
          if (e instanceof TestFailSignal) {
            st.failed++;
            st.output.push(`${String(n).padStart(2)}: Test '${name}' FAILED: ${e.reason}`);
          } else if (e instanceof SieveRuntimeFailure) {
            st.failed++;
            st.output.push(`${String(n).padStart(2)}: Test '${name}' FAILED: runtime error: ${e.message}`);
          } else throw e;
        }
        return true;
      },
    },
    {
      name: 'test_fail',
      kind: 'command',
      positional: ['string'],
      evaluate(rt, node) {
        throw new TestFailSignal(rt.expandOne(node.args[0]));
      },
    },
    {
      name: 'test_set',
      kind: 'command',
      positional: ['string', 'string'],
      validate(node, cc, pos) {
        const o = cc.literal(node.args[0]);
        if (o !== undefined && !SET_OBJECTS.includes(o.toLowerCase()))
          cc.error(pos, `test_set: unknown object '${o}'`);
      },
      evaluate(rt, node) {
        const obj = rt.expandOne(node.args[0]).toLowerCase();
        const value = rt.expandOne(node.args[1]);
        const env = rt.envelope;
        const addr = (v: string): string => {
          const a = parseSmtpPath(v.trim());
          if (a === null || a === 'invalid') return '';
          const local = /^[^\s"(),:;<>@[\\\]]+$/.test(a.local) ? a.local : JSON.stringify(a.local);
          return a.domain === '' ? local : `${local}@${a.domain}`;
        };
        if (obj === 'message') loadMessage(rt, value);
        else if (obj === 'envelope.from') rt.envelope = { ...env, from: addr(value) };
        else if (obj === 'envelope.to') rt.envelope = { ...env, to: addr(value), origTo: addr(value) };
        else if (obj === 'envelope.orig_to') rt.envelope = { ...env, origTo: addr(value) };
        else if (obj === 'envelope.auth') rt.envelope = { ...env, auth: value };
        return true;
      },
    },
    {
      name: 'test_config_set',
      kind: 'command',
      positional: ['string', 'string'],
      evaluate(rt, node) {
        st.config.set(rt.expandOne(node.args[0]), rt.expandOne(node.args[1]));
        return true;
      },
    },
    {
      name: 'test_config_unset',
      kind: 'command',
      positional: ['string'],
      evaluate(rt, node) {
        st.config.delete(rt.expandOne(node.args[0]));
        return true;
      },
    },
    {
      name: 'test_config_reload',
      kind: 'command',
      tags: [{ name: 'extension', param: 'string' }],
      evaluate() {
        st.reload();
        return true;
      },
    },
    {
      name: 'test_result_reset',
      kind: 'command',
      evaluate(rt) {
        resetResult(rt);
        st.smtp = [];
        return true;
      },
    },
    {
      name: 'test_result_print',
      kind: 'command',
      evaluate(rt) {
        st.output.push('--', ...rt.resultActions.map((a) => JSON.stringify(a)), '--');
        return true;
      },
    },
    {
      name: 'test_message',
      kind: 'both',
      tags: [
        { name: 'smtp', group: 'source' },
        { name: 'folder', param: 'string', group: 'source' },
      ],
      positional: ['number'],
      evaluate(rt, node) {
        const index = node.args[0] as number;
        if (node.tags['folder'] !== undefined) {
          const folder = rt.expandOne(node.tags['folder']);
          const box = st.mailboxes.get(mailboxName(folder));
          if (!box) {
            loadMessage(rt, DEFAULT_MESSAGE);
            return hybridFail(node, false, `no message in folder '${folder}' with index ${index}`);
          }
          const m = box[index];
          if (!m) return hybridFail(node, false, `no message in folder '${folder}' with index ${index}`);
          loadMessage(rt, m.raw);
          rt.flags = [...m.flags];
          return true;
        }
        const m = st.smtp[index];
        if (!m) return hybridFail(node, false, `no outgoing SMTP message with index ${index}`);
        loadMessage(rt, m.raw);
        rt.envelope = { from: m.from, to: m.to, origTo: m.to, auth: 'testsuite' };
        return true;
      },
    },
    {
      name: 'test_message_print',
      kind: 'command',
      evaluate(rt) {
        st.output.push('--MESSAGE:', Buffer.from(rt.message.raw).toString('utf8'), '--MESSAGE--');
        return true;
      },
    },
    {
      name: 'test_mailbox_create',
      kind: 'command',
      positional: ['string'],
      evaluate(rt, node) {
        const name = rt.expandOne(node.args[0]);
        if (!st.mailboxes.has(mailboxName(name))) st.mailboxes.set(mailboxName(name), []);
        return true;
      },
    },
    {
      name: 'test_mailbox_delete',
      kind: 'command',
      positional: ['string'],
      evaluate() {
        throw new TestFailSignal('NOT IMPLEMENTED');
      },
    },
    {
      name: 'test_binary_save',
      kind: 'command',
      positional: ['string'],
      evaluate(rt, node) {
        if (!st.compiled) return rt.fail('no compiled script to save');
        // A JSON round trip is our binary format.
        st.binaries.set(rt.expandOne(node.args[0]), {
          script: JSON.parse(JSON.stringify(st.compiled)) as CompiledScript,
          dir: st.compiledDir,
        });
        return true;
      },
    },
    {
      name: 'test_binary_load',
      kind: 'command',
      positional: ['string'],
      evaluate(rt, node) {
        const b = st.binaries.get(rt.expandOne(node.args[0]));
        if (!b) return rt.fail('failed to load binary');
        st.compiled = b.script;
        st.compiledDir = b.dir;
        return true;
      },
    },
    {
      name: 'test_script_compile',
      kind: 'test',
      positional: ['string'],
      evaluate(rt, node) {
        const r = compileAt(rt.expandOne(node.args[0]), currentDir(rt));
        if (!r.script) return false;
        st.compiled = r.script;
        st.compiledDir = r.dir;
        return true;
      },
    },
    {
      name: 'test_script_run',
      kind: 'test',
      tags: [{ name: 'append_result' }],
      *run(rt, node) {
        st.errors = [];
        if (!st.compiled) {
          st.errors.push('no compiled script to run');
          return false;
        }
        if (node.tags['append_result'] === undefined) resetResult(rt);
        return yield* runSub(rt, st.compiled, st.compiledDir);
      },
    },
    {
      name: 'test_multiscript',
      kind: 'test',
      positional: ['strings'],
      *run(rt, node) {
        // Pigeonhole's multiscript: the scripts share one result and the imap4flags flags; after
        // each script its actions are executed; a script that cancels the implicit keep ends
        // the sequence; the implicit keep is executed once, at the end.
        st.errors = [];
        resetResult(rt);
        let ok = true;
        for (const path of rt.expand(node.args[0])) {
          const r = compileAt(path, currentDir(rt));
          if (!r.script) {
            ok = false;
            break;
          }
          rt.restoreImplicitKeep();
          if (!(yield* runSub(rt, r.script, r.dir))) ok = false;
          if (!executeResult(rt, false)) ok = false;
          if (!rt.keepInEffect) break;
        }
        if (!executeResult(rt, true)) ok = false;
        return ok;
      },
    },
    {
      name: 'test_error',
      kind: 'test',
      tags: matchTags,
      positional: ['strings'],
      evaluate(rt, node) {
        return indexedMatch(rt, node, st.errors);
      },
    },
    {
      name: 'test_result_action',
      kind: 'test',
      tags: matchTags,
      positional: ['strings'],
      evaluate(rt, node) {
        return indexedMatch(rt, node, rt.resultActions.map(actionName));
      },
    },
    {
      name: 'test_result_execute',
      kind: 'test',
      evaluate(rt) {
        st.errors = [];
        return executeResult(rt);
      },
    },
    {
      name: 'test_imap_metadata_set',
      kind: 'command',
      tags: [{ name: 'mailbox', param: 'string' }],
      positional: ['string', 'string'],
      evaluate() {
        throw new TestFailSignal('IMAP METADATA is not supported');
      },
    },
  ];

  function indexedMatch(rt: Runtime, node: CNode, values: string[]): boolean {
    const idx = node.tags['index'];
    const spec = matchSpec(rt, node, 'i;octet');
    let vals = values;
    if (typeof idx === 'number' && idx > 0) {
      const v = values[idx - 1];
      if (v === undefined) return false;
      vals = [v];
    }
    return matchValues(rt, spec, vals, rt.expand(node.args[0]));
  }

  function currentDir(rt: Runtime): string {
    return (rt.state.get('testsuite.dir') as string | undefined) ?? st.dir;
  }

  function* runSub(
    rt: Runtime,
    script: CompiledScript,
    dir: string,
  ): Generator<SieveEvent, boolean, unknown> {
    const prevDir = rt.state.get('testsuite.dir');
    rt.state.set('testsuite.dir', dir);
    const before = rt.errors.length;
    // A sub-script is its own execution: it starts with no global variables.
    const globals = new Map(rt.globals);
    rt.globals.clear();
    // ... and its own CPU time budget; its time does not count against the test file's.
    const clock = rt.clockStart;
    const started = Date.now();
    rt.clockStart = started;
    try {
      yield* rt.execScript(script);
      return true;
    } catch (e) {
      if (e instanceof StopSignal || e instanceof ReturnSignal) return true;
      if (e instanceof TestFailSignal) return false;
      if (e instanceof SieveRuntimeFailure) {
        st.errors.push(e.message);
        return script.requires.includes('vnd.dovecot.testsuite');
      }
      throw e;
    } finally {
      rt.clockStart = clock + (Date.now() - started);
      rt.globals.clear();
      for (const [k, v] of globals) rt.globals.set(k, v);
      st.errors.push(...rt.errors.slice(before).map((x) => x.message));
      rt.state.set('testsuite.dir', prevDir);
    }
  }

  const ext: Extension = {
    capabilities: ['vnd.dovecot.testsuite'],
    commands,
    namespaces: ['tst'],
    checkNamespaceVariable(_ns, name, assign) {
      if (assign) return 'the tst namespace is read-only';
      if (name.includes('.') || /^\d/.test(name)) return `invalid variable name 'tst.${name}'`;
      return undefined;
    },
    readVariable(_rt, _ns, name) {
      return name === 'path' ? st.dir : '';
    },
  };
  return ext;
}
