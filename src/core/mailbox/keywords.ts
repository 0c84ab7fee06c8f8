// The keywords defined in a folder (RFC 9051 §2.3.2, §7.3.5 FLAGS): once a message of the folder has
// had a keyword, every session lists it in FLAGS and PERMANENTFLAGS, whether or not a message still has
// it — as Dovecot does, so all sessions of a folder agree on its keyword list. One small list per
// folder in the store's key-value role, grown by compare-and-set (a lost race re-reads and retries).
import type { Core } from '../context.js';
import type { KvStore } from '../../store/ports.js';

const NS = 'mailbox-keywords';
/** A folder keeps at most this many keywords; more are still stored on messages, just not listed. */
const MAX_KEYWORDS = 200;

function parseList(v: string | undefined): string[] {
  if (!v) return [];
  try {
    const list: unknown = JSON.parse(v);
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export async function mailboxKeywords(core: Core, mailboxId: number): Promise<string[]> {
  return parseList(await core.store.kv.get(NS, String(mailboxId)));
}

/** The list with `kws` added (case-insensitively new ones only, up to the cap), or null if unchanged. */
function grown(list: string[], kws: readonly string[]): string[] | null {
  const have = new Set(list.map((k) => k.toLowerCase()));
  const out = [...list];
  for (const k of kws) {
    if (out.length >= MAX_KEYWORDS) break;
    if (!have.has(k.toLowerCase())) {
      out.push(k);
      have.add(k.toLowerCase());
    }
  }
  return out.length === list.length ? null : out;
}

/** Adds the keywords among `flags` the folder does not list yet. */
export async function registerKeywords(
  core: Core,
  mailboxId: number,
  flags: Iterable<string>,
): Promise<void> {
  const kws = [...new Set([...flags].filter((f) => !f.startsWith('\\')))];
  if (kws.length === 0) return;
  const key = String(mailboxId);
  const current = await core.store.kv.get(NS, key);
  if (grown(parseList(current), kws) === null) return;
  // A keyword list is not a stored message: its write is not waited for on disk (TransactionOptions).
  await core.store.transaction(
    async (tx) => {
      for (let attempt = 0; attempt < 100; attempt++) {
        if (await tryGrow(tx.kv, key, kws)) return;
      }
    },
    { durable: false },
  );
}

/** One compare-and-set round: true when the list now holds the keywords (or is full). */
async function tryGrow(kv: KvStore, key: string, kws: readonly string[]): Promise<boolean> {
  const current = await kv.get(NS, key);
  const next = grown(parseList(current), kws);
  if (next === null) return true;
  return kv.compareAndSet(NS, key, current, JSON.stringify(next));
}
