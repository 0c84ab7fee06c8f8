// The keywords defined in a folder (RFC 9051 §2.3.2, §7.3.5 FLAGS): once a message of the folder has
// had a keyword, every session lists it in FLAGS and PERMANENTFLAGS, whether or not a message still has
// it — as Dovecot does, so all sessions of a folder agree on its keyword list. One small list per
// folder in the store's key-value role, updated under a short lock.
import type { Core } from '../context.js';

const NS = 'mailbox-keywords';
const LOCK_NS = 'mailbox-keywords-lock';
/** A folder keeps at most this many keywords; more are still stored on messages, just not listed. */
const MAX_KEYWORDS = 200;

export async function mailboxKeywords(core: Core, mailboxId: number): Promise<string[]> {
  const v = await core.store.kv.get(NS, String(mailboxId));
  if (!v) return [];
  try {
    const list: unknown = JSON.parse(v);
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** Adds the keywords among `flags` the folder does not list yet. */
export async function registerKeywords(
  core: Core,
  mailboxId: number,
  flags: Iterable<string>,
): Promise<void> {
  const kws = [...new Set([...flags].filter((f) => !f.startsWith('\\')))];
  if (kws.length === 0) return;
  const known = await mailboxKeywords(core, mailboxId);
  const lower = new Set(known.map((k) => k.toLowerCase()));
  if (kws.every((k) => lower.has(k.toLowerCase()))) return;
  const key = String(mailboxId);
  for (let i = 0; !(await core.store.kv.setIfAbsent(LOCK_NS, key, '1', 5000)); i++) {
    if (i > 200) return;
    await new Promise((r) => setTimeout(r, 5 + Math.random() * 20));
  }
  try {
    const list = await mailboxKeywords(core, mailboxId);
    const have = new Set(list.map((k) => k.toLowerCase()));
    for (const k of kws) {
      if (list.length >= MAX_KEYWORDS) break;
      if (!have.has(k.toLowerCase())) {
        list.push(k);
        have.add(k.toLowerCase());
      }
    }
    await core.store.kv.set(NS, key, JSON.stringify(list));
  } finally {
    await core.store.kv.delete(LOCK_NS, key);
  }
}
