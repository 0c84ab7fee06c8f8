// After a soak: what the store really holds, read directly (SQLite file / PostgreSQL schema and the
// blob directory and the inline `blobs` table), and what IMAP clients see. Used by crash.mjs and disk.mjs.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ImapClient, PG_URL, messageIds } from './lib.mjs';

const ROWS_SQL = `
  select a.local_part as local, mb.name as mailbox, m.uid as uid, m.blob_hash as hash, m.size as size,
    b.data as inline
  from messages m join mailboxes mb on mb.id = m.mailbox_id join addresses a on a.id = mb.address_id
  left join blobs b on b.hash = m.blob_hash
  order by m.id`;
// Bodies kept in the database (store.inline_blob_max) rather than as files.
const INLINE_SQL = `select hash from blobs`;
const QUOTA_SQL = `
  select a.local_part as local, a.used_bytes as used,
    (select coalesce(sum(m.size), 0) from messages m join mailboxes mb on mb.id = m.mailbox_id
      where mb.address_id = a.id) as summed
  from addresses a`;
const UIDNEXT_SQL = `
  select mb.id as id, mb.uid_next as next, (select max(uid) from messages m where m.mailbox_id = mb.id) as maxuid
  from mailboxes mb`;
const QUEUE_SQL = `select status, count(*) as n from queue group by status`;

/** Rows, quota and uid_next facts plus the engine's own integrity check. */
export async function readStore(srv) {
  if (srv.store === 'sqlite') {
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(join(srv.dataDir, 'mailstead.db'));
    try {
      const integrity = db.pragma('integrity_check', { simple: false }).map((r) => r.integrity_check);
      const fk = db.pragma('foreign_key_check');
      return {
        rows: db.prepare(ROWS_SQL).all(),
        quota: db.prepare(QUOTA_SQL).all(),
        uidnext: db.prepare(UIDNEXT_SQL).all(),
        queue: db.prepare(QUEUE_SQL).all(),
        inlineHashes: db.prepare(INLINE_SQL).all().map((r) => r.hash),
        integrity: integrity.join('; ') === 'ok' && fk.length === 0 ? 'ok' : `${integrity.join('; ')}; fk ${fk.length}`,
        integrityHow: 'PRAGMA integrity_check + foreign_key_check',
      };
    } finally {
      db.close();
    }
  }
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`set search_path to "${srv.schema}", public`);
    const q = async (s) => (await c.query(s)).rows;
    // amcheck verifies every B-tree index of our schema against its table (heapallindexed).
    let integrity = 'ok';
    let how = 'amcheck bt_index_check(heapallindexed) on every index';
    try {
      const have = await q(`select extnamespace::regnamespace::text as ns from pg_extension where extname = 'amcheck'`);
      let ns = have[0]?.ns;
      if (!ns) {
        await c.query(`create extension amcheck schema "${srv.schema}"`);
        ns = srv.schema;
      }
      const idx = await q(
        `select c.oid::regclass::text as name, c.oid as oid from pg_index i join pg_class c on c.oid = i.indexrelid
         join pg_am am on am.oid = c.relam where c.relnamespace = '"${srv.schema}"'::regnamespace and am.amname = 'btree'`,
      );
      for (const i of idx) await c.query(`select "${ns}".bt_index_check($1::regclass, true)`, [i.oid]);
      how += ` (${idx.length} indexes)`;
    } catch (e) {
      integrity = `amcheck failed: ${e.message}`;
    }
    const orphanRows = await q(`select count(*)::int as n from messages m left join mailboxes mb on mb.id = m.mailbox_id where mb.id is null`);
    if (orphanRows[0].n > 0) integrity += `; ${orphanRows[0].n} messages without mailbox`;
    return {
      rows: (await q(ROWS_SQL)).map((r) => ({ ...r, uid: Number(r.uid), size: Number(r.size) })),
      quota: (await q(QUOTA_SQL)).map((r) => ({ ...r, used: Number(r.used), summed: Number(r.summed) })),
      uidnext: (await q(UIDNEXT_SQL)).map((r) => ({ id: r.id, next: Number(r.next), maxuid: r.maxuid === null ? null : Number(r.maxuid) })),
      queue: (await q(QUEUE_SQL)).map((r) => ({ status: r.status, n: Number(r.n) })),
      inlineHashes: (await q(INLINE_SQL)).map((r) => r.hash),
      integrity,
      integrityHow: how,
    };
  } finally {
    await c.end();
  }
}

function blobPath(dataDir, hash) {
  return join(dataDir, 'blobs', hash.slice(0, 2), hash.slice(2, 4), hash);
}

/** Temporary files and blobs nobody references (garbage a crash may leave; never visible). */
export function blobLeftovers(dataDir, referenced, inlineHashes = []) {
  let tmp = 0;
  let unreferenced = inlineHashes.filter((h) => !referenced.has(h)).length;
  const root = join(dataDir, 'blobs');
  if (!existsSync(root)) return { tmp, unreferenced };
  for (const a of readdirSync(root)) {
    for (const b of readdirSync(join(root, a))) {
      for (const f of readdirSync(join(root, a, b))) {
        if (f.endsWith('.tmp')) tmp++;
        else if (!referenced.has(f)) unreferenced++;
      }
    }
  }
  return { tmp, unreferenced };
}

/**
 * Checks the store against what clients were told. `acked` maps Message-ID -> list of local parts it
 * was acknowledged for. Returns a summary object; `ok` is false on any loss, duplicate or damage.
 */
export async function verifyStore(srv, acked) {
  const st = await readStore(srv);
  const byId = new Map(); // message-id -> Map(local -> count)
  let missingBlob = 0;
  let badBlob = 0;
  let noId = 0;
  const referenced = new Set();
  for (const r of st.rows) {
    referenced.add(r.hash);
    const p = blobPath(srv.dataDir, r.hash);
    if (r.inline == null && !existsSync(p)) {
      missingBlob++;
      continue;
    }
    const data = r.inline != null ? Buffer.from(r.inline) : readFileSync(p);
    if (data.length !== Number(r.size) || createHash('sha256').update(data).digest('hex') !== r.hash) {
      badBlob++;
      continue;
    }
    const m = /^Message-ID:\s*(<[^>]+>)/im.exec(data.subarray(0, 8192).toString('latin1'));
    if (!m) {
      noId++;
      continue;
    }
    const per = byId.get(m[1]) ?? new Map();
    per.set(r.local, (per.get(r.local) ?? 0) + 1);
    byId.set(m[1], per);
  }
  let ackedCopies = 0;
  let missing = 0;
  let duplicated = 0;
  const missingIds = [];
  for (const [id, locals] of acked) {
    for (const l of locals) {
      ackedCopies++;
      const n = byId.get(id)?.get(l) ?? 0;
      if (n === 0) {
        missing++;
        if (missingIds.length < 10) missingIds.push(`${id} -> ${l}`);
      } else if (n > 1) duplicated++;
    }
  }
  let unackedStored = 0;
  let unackedDup = 0;
  for (const [id, per] of byId) {
    for (const [l, n] of per) {
      if (!acked.get(id)?.includes(l)) unackedStored++;
      if (n > 1 && !acked.get(id)?.includes(l)) unackedDup++;
    }
  }
  const quotaOff = st.quota.filter((q) => Number(q.used) !== Number(q.summed)).map((q) => `${q.local}: used ${q.used} vs ${q.summed}`);
  const uidOff = st.uidnext.filter((u) => u.maxuid !== null && u.next <= u.maxuid).length;
  const left = blobLeftovers(srv.dataDir, referenced, st.inlineHashes);
  return {
    rows: st.rows.length,
    ackedMessages: acked.size,
    ackedCopies,
    missing,
    missingIds,
    duplicated,
    unackedStored,
    unackedDup,
    missingBlob,
    badBlob,
    noId,
    quotaOff,
    uidOff,
    queue: st.queue,
    integrity: st.integrity,
    integrityHow: st.integrityHow,
    tmpFiles: left.tmp,
    unreferencedBlobs: left.unreferenced,
    ok:
      missing === 0 &&
      duplicated === 0 &&
      missingBlob === 0 &&
      badBlob === 0 &&
      quotaOff.length === 0 &&
      uidOff === 0 &&
      st.integrity === 'ok',
  };
}

/** What an IMAP client sees: every message of INBOX fetchable in full, Message-IDs listed. */
export async function verifyImap(port, users) {
  const seen = new Map();
  let fetchErrors = 0;
  let count = 0;
  for (const u of users) {
    const c = await ImapClient.connect(port);
    await c.login(`${u}@example.test`, 'pass');
    const sel = await c.cmd('SELECT INBOX');
    if (sel.status !== 'OK') throw new Error(`SELECT: ${sel.text}`);
    const exists = Number(/\* (\d+) EXISTS/.exec(sel.untagged.map((x) => x.text).join('\n'))?.[1] ?? 0);
    count += exists;
    if (exists > 0) {
      const r = await c.cmd('FETCH 1:* (RFC822.SIZE BODY.PEEK[])');
      if (r.status !== 'OK') fetchErrors++;
      const ids = messageIds(r.untagged);
      const fetched = r.untagged.filter((x) => x.parts.length > 0).length;
      if (fetched !== exists) fetchErrors += exists - fetched;
      for (const id of ids) seen.set(`${id} ${u}`, (seen.get(`${id} ${u}`) ?? 0) + 1);
    }
    await c.logout();
  }
  return { count, fetchErrors, dupVisible: [...seen.values()].filter((n) => n > 1).length };
}

export function dirSize(dir) {
  let total = 0;
  const walk = (d) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else total += s.size;
    }
  };
  if (existsSync(dir)) walk(dir);
  return total;
}
