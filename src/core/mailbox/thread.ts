// THREAD (RFC 5256 §2.2): ORDEREDSUBJECT and REFERENCES over a set of messages. The result is a forest
// of nodes; a node without a message is a "dummy" standing for a message that is not in the set.
import type { Core } from '../context.js';
import { getFirstValue } from '../../mime/index.js';
import { baseSubject } from './base-subject.js';
import { loadFacts, sentDate, type MessageFacts } from './sort.js';

export type ThreadAlgorithm = 'ORDEREDSUBJECT' | 'REFERENCES';

export interface ThreadNode {
  /** null for a dummy. */
  uid: number | null;
  children: ThreadNode[];
}

interface Msg {
  uid: number;
  date: number;
  subject: string;
  reply: boolean;
}

function toMsg(f: MessageFacts): Msg {
  const b = baseSubject(getFirstValue(f.headers, 'subject'));
  return { uid: f.uid, date: sentDate(f), subject: b.key, reply: b.isReplyOrForward };
}

const byDate = (a: Msg, b: Msg) => a.date - b.date || a.uid - b.uid;

export async function threadMessages(
  core: Core,
  mailboxId: number,
  uids: readonly number[],
  algorithm: ThreadAlgorithm,
): Promise<ThreadNode[]> {
  const facts = await loadFacts(core, mailboxId, uids, true);
  return algorithm === 'ORDEREDSUBJECT' ? orderedSubject(facts) : references(facts);
}

/** Grouped by base subject, each group a parent with its other messages as children, by sent date. */
export function orderedSubject(facts: readonly MessageFacts[]): ThreadNode[] {
  const msgs = facts.map(toMsg);
  msgs.sort((a, b) => (a.subject < b.subject ? -1 : a.subject > b.subject ? 1 : byDate(a, b)));
  const threads: Array<{ first: Msg; node: ThreadNode }> = [];
  let cur: { first: Msg; node: ThreadNode } | null = null;
  for (const m of msgs) {
    if (cur && cur.first.subject === m.subject) cur.node.children.push({ uid: m.uid, children: [] });
    else {
      cur = { first: m, node: { uid: m.uid, children: [] } };
      threads.push(cur);
    }
  }
  threads.sort((a, b) => byDate(a.first, b.first));
  return threads.map((t) => t.node);
}

// ---- REFERENCES ----------------------------------------------------------------------------------

interface Container {
  msg: Msg | null;
  parent: Container | null;
  children: Container[];
}

function msgIds(v: string | undefined): string[] {
  if (!v) return [];
  return [...v.matchAll(/<([^<>\s]+)>/g)].map((m) => m[1]!);
}

function isAncestor(maybe: Container, of: Container): boolean {
  for (let c: Container | null = of; c; c = c.parent) if (c === maybe) return true;
  return false;
}

function unlink(c: Container): void {
  if (!c.parent) return;
  const sib = c.parent.children;
  sib.splice(sib.indexOf(c), 1);
  c.parent = null;
}

function link(parent: Container, child: Container): void {
  child.parent = parent;
  parent.children.push(child);
}

/** Sent date used to order a node: its own, or (dummy) that of its first child. */
function nodeMsg(c: Container): Msg | null {
  if (c.msg) return c.msg;
  return c.children[0] ? nodeMsg(c.children[0]) : null;
}

function sortSiblings(list: Container[]): void {
  for (const c of list) sortSiblings(c.children);
  list.sort((a, b) => {
    const x = nodeMsg(a);
    const y = nodeMsg(b);
    if (!x || !y) return 0;
    return byDate(x, y);
  });
}

export function references(facts: readonly MessageFacts[]): ThreadNode[] {
  const table = new Map<string, Container>();
  const all: Container[] = [];
  const get = (id: string): Container => {
    let c = table.get(id);
    if (!c) {
      c = { msg: null, parent: null, children: [] };
      table.set(id, c);
      all.push(c);
    }
    return c;
  };
  let unique = 0;
  // (1) Link messages by Message-ID, References and In-Reply-To.
  for (const f of facts) {
    const msg = toMsg(f);
    let id = msgIds(getFirstValue(f.headers, 'message-id'))[0];
    // A missing or duplicate Message-ID: the message gets an id of its own (RFC 5256 §2.2 step 1A).
    if (id === undefined || table.get(id)?.msg) id = `\0unique-${unique++}`;
    const self = get(id);
    self.msg = msg;
    let refs = msgIds(getFirstValue(f.headers, 'references'));
    if (refs.length === 0) refs = msgIds(getFirstValue(f.headers, 'in-reply-to')).slice(0, 1);
    // (1B) Each reference is the parent of the next, unless that link exists or would make a loop.
    for (let i = 0; i + 1 < refs.length; i++) {
      const p = get(refs[i]!);
      const c = get(refs[i + 1]!);
      if (c.parent || p === c || isAncestor(c, p)) continue;
      link(p, c);
    }
    // (1C) The last reference is the message's parent: any other parent link is replaced.
    unlink(self);
    const last = refs.length ? get(refs[refs.length - 1]!) : null;
    if (last && last !== self && !isAncestor(self, last)) link(last, self);
  }
  // (2) The root set.
  let roots = all.filter((c) => !c.parent);
  // (4) Prune dummies.
  const prune = (list: Container[], atRoot: boolean): Container[] => {
    const out: Container[] = [];
    for (const c of list) {
      c.children = prune(c.children, false);
      for (const k of c.children) k.parent = c;
      if (c.msg) out.push(c);
      else if (c.children.length === 0) continue;
      else if (atRoot && c.children.length > 1) out.push(c);
      else for (const k of c.children) out.push(k);
    }
    return out;
  };
  roots = prune(roots, true);
  for (const r of roots) r.parent = null;
  // (4) Order the root set by sent date (a dummy by its first child) before grouping.
  sortSiblings(roots);
  // (5) Gather threads with the same base subject.
  const subjectOf = (c: Container) => (c.msg ?? c.children[0]?.msg ?? null)?.subject ?? '';
  const bySubject = new Map<string, Container>();
  for (const c of roots) {
    const s = subjectOf(c);
    if (s === '') continue;
    const old = bySubject.get(s);
    if (!old || (!c.msg && old.msg) || (old.msg && c.msg && old.msg.reply && !c.msg.reply))
      bySubject.set(s, c);
  }
  const result: Container[] = [];
  const removed = new Set<Container>();
  for (const c of roots) {
    // Already put under another thread's container.
    if (c.parent) continue;
    const s = subjectOf(c);
    const t = s === '' ? undefined : bySubject.get(s);
    if (!t || t === c) {
      result.push(c);
      continue;
    }
    removed.add(c);
    if (!t.msg && !c.msg) {
      for (const k of c.children) link(t, k);
    } else if (!t.msg && c.msg) link(t, c);
    else if (c.msg && c.msg.reply && t.msg && !t.msg.reply) link(t, c);
    else {
      // Both replies or both not: a new dummy holds them (it takes the table entry's place).
      const d: Container = { msg: null, parent: null, children: [] };
      const idx = result.indexOf(t);
      link(d, t);
      link(d, c);
      if (idx >= 0) result[idx] = d;
      else result.push(d);
      bySubject.set(s, d);
    }
  }
  const finalRoots = result.filter((c) => !removed.has(c) && !c.parent);
  // (6) Order every level by sent date.
  sortSiblings(finalRoots);
  const toNode = (c: Container): ThreadNode => ({
    uid: c.msg?.uid ?? null,
    children: c.children.map(toNode),
  });
  return finalRoots.map(toNode);
}
