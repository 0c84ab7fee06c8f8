// Small message bodies kept in the database itself (table `blobs`). A put inside a transaction is
// part of it: the commit that makes a message row durable makes its body durable too, in the same
// group-committed WAL fsync (SQLite) or commit (PostgreSQL), instead of a file write, its fsync, a
// rename and a directory fsync per message. SQLite reads and writes blobs of up to ~100 kB faster
// from inside the database than from separate files ("Internal Versus External BLOBs", sqlite.org).
import { createHash } from 'node:crypto';
import type { BlobStore } from '../ports.js';
import type { Exec } from './context.js';
import { prepared } from './prepared.js';

const HASH = /^[0-9a-f]{64}$/;
const LIST_PAGE = 1000;

export class BlobNotFoundError extends Error {
  readonly code = 'ENOENT';
  constructor(hash: string) {
    super(`blob not found: ${hash}`);
    this.name = 'BlobNotFoundError';
  }
}

// Once per stored message: compiled once.
const insertBlob = prepared((db, hash: string, size: number, data: Buffer) =>
  db
    .insertInto('blobs')
    .values({ hash, size, data })
    .onConflict((oc) => oc.column('hash').doNothing()),
);

export class SqlBlobStore implements BlobStore {
  constructor(private readonly x: Exec) {}

  joinsTransactions(): boolean {
    return true;
  }

  async put(data: Uint8Array): Promise<{ hash: string; size: number }> {
    const hash = createHash('sha256').update(data).digest('hex');
    const size = data.byteLength;
    const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    await insertBlob.execute(this.x.engine, this.x.db(), hash, size, bytes);
    return { hash, size };
  }

  async get(hash: string): Promise<Buffer> {
    const row = await this.find(hash);
    if (row === undefined) throw new BlobNotFoundError(hash);
    return row;
  }

  /** The body, or undefined when it is not in the database (the tiered store then asks the files). */
  async find(hash: string): Promise<Buffer | undefined> {
    if (!HASH.test(hash)) throw new Error(`invalid blob hash: ${JSON.stringify(hash)}`);
    const row = await this.x
      .db()
      .selectFrom('blobs')
      .select('data')
      .where('hash', '=', hash)
      .executeTakeFirst();
    return row === undefined ? undefined : Buffer.isBuffer(row.data) ? row.data : Buffer.from(row.data);
  }

  async has(hash: string): Promise<boolean> {
    const row = await this.x
      .db()
      .selectFrom('blobs')
      .select('hash')
      .where('hash', '=', hash)
      .executeTakeFirst();
    return row !== undefined;
  }

  async delete(hash: string): Promise<void> {
    await this.x.db().deleteFrom('blobs').where('hash', '=', hash).execute();
  }

  async *list(): AsyncIterable<string> {
    let after = '';
    for (;;) {
      const rows = await this.x
        .db()
        .selectFrom('blobs')
        .select('hash')
        .where('hash', '>', after)
        .orderBy('hash')
        .limit(LIST_PAGE)
        .execute();
      for (const r of rows) yield r.hash;
      if (rows.length < LIST_PAGE) return;
      after = rows[rows.length - 1]!.hash;
    }
  }
}
