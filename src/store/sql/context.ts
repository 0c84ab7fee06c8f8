// Transactions and the executor each statement runs on.
//
// A transaction is a Frame kept in AsyncLocalStorage, so a role-store call made anywhere inside
// `store.transaction(fn)` — through `tx` or through the store's own roles — joins it instead of
// waiting for SQLite's single connection (which the transaction holds) or taking a second pool
// client on PostgreSQL. Nested `transaction` calls join the outer frame.
//
// Change-feed rows are buffered in the frame and written just before commit, under the engine's
// change-feed lock. Feed readers follow `id > lastSeen`; on PostgreSQL, ids are handed out when the
// row is inserted but become visible at commit, so two transactions could publish 12 after 13 and a
// reader would skip 12 forever. Inserting at the very end while holding a transaction-scoped lock
// makes "got an id" and "committed" happen in the same order, and the lock is held only for the
// insert and the commit, after every other row lock of the transaction is taken.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Kysely, Transaction } from 'kysely';
import type { ChangeKind, TransactionOptions } from '../ports.js';
import type { SqlEngine } from './engine.js';
import { chunks } from './rows.js';
import type { Database } from './schema.js';

export interface PendingChange {
  addressId: number;
  mailboxId: number;
  kind: ChangeKind;
  uid: number | null;
  modseq: number | null;
  at: number;
}

export interface Frame {
  readonly trx: Transaction<Database>;
  open: boolean;
  readonly pending: PendingChange[];
}

/** A running transaction as seen by one role-store method. */
export interface TxScope {
  readonly db: Kysely<Database>;
  /** Queues change-feed rows; they are written just before commit. */
  recordChanges(changes: PendingChange[]): void;
  /** Writes queued feed rows now (before reading the feed inside the same transaction). */
  flushChanges(): Promise<void>;
}

/** What a role store works through. */
export interface Exec {
  readonly engine: SqlEngine;
  /** Executor for a single statement: the caller's transaction if there is one, else the engine. */
  db(): Kysely<Database>;
  /** Runs `fn` atomically: inside the caller's transaction, or in a new one. */
  atomic<T>(fn: (tx: TxScope) => Promise<T>): Promise<T>;
  /** The caller's transaction, if any. */
  current(): TxScope | undefined;
}

const FEED_INSERT_CHUNK = 1000;

export class TransactionRunner {
  readonly #als = new AsyncLocalStorage<Frame>();

  constructor(readonly engine: SqlEngine) {}

  /** The open transaction of this async context; closed frames (work that outlived them) don't count. */
  currentFrame(): Frame | undefined {
    const frame = this.#als.getStore();
    return frame?.open === true ? frame : undefined;
  }

  async run<T>(fn: (frame: Frame) => Promise<T>, opts?: TransactionOptions): Promise<T> {
    const outer = this.currentFrame();
    if (outer !== undefined) return fn(outer);
    return this.engine.db.transaction().execute(async (trx) => {
      if (opts?.durable === false) await this.engine.relaxCommit(trx);
      const frame: Frame = { trx, open: true, pending: [] };
      try {
        const result = await this.#als.run(frame, () => fn(frame));
        await this.flush(frame);
        return result;
      } finally {
        frame.open = false;
      }
    });
  }

  async flush(frame: Frame): Promise<void> {
    if (frame.pending.length === 0) return;
    const rows = frame.pending.splice(0);
    await this.engine.lockChangeFeed(frame.trx);
    for (const part of chunks(rows, FEED_INSERT_CHUNK)) {
      await frame.trx
        .insertInto('changes')
        .values(
          part.map((c) => ({
            address_id: c.addressId,
            mailbox_id: c.mailboxId,
            kind: c.kind,
            uid: c.uid,
            modseq: c.modseq,
            at: c.at,
          })),
        )
        .execute();
    }
  }

  scope(frame: Frame): TxScope {
    return {
      db: frame.trx,
      recordChanges: (changes) => {
        // No spread: a STORE on a large folder records more rows than a call may take arguments.
        for (const c of changes) frame.pending.push(c);
      },
      flushChanges: () => this.flush(frame),
    };
  }

  /** Follows the async context: the store's top-level roles. */
  ambient(): Exec {
    return {
      engine: this.engine,
      db: () => this.currentFrame()?.trx ?? this.engine.db,
      atomic: (fn) => this.run((frame) => fn(this.scope(frame))),
      current: () => {
        const frame = this.currentFrame();
        return frame === undefined ? undefined : this.scope(frame);
      },
    };
  }

  /** Bound to one transaction: the roles handed to a `transaction` callback. */
  bound(frame: Frame): Exec {
    const check = (): Frame => {
      if (!frame.open) throw new Error('store transaction already finished');
      return frame;
    };
    return {
      engine: this.engine,
      db: () => check().trx,
      atomic: (fn) => fn(this.scope(check())),
      current: () => this.scope(check()),
    };
  }
}
