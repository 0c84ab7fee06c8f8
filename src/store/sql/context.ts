// Transactions and the executor each statement runs on.
//
// A transaction is a Frame handed explicitly to the roles bound to it (the `tx` of
// `store.transaction(fn)`); the store's own top-level roles never join one. The frame used to follow
// the async context (AsyncLocalStorage), but on Node 20 that installs promise hooks which ran for
// every promise of the process, ~8% of the IMAP server's main-thread CPU. A top-level role call made
// inside a transaction would therefore wait for SQLite's single connection that the transaction
// holds (a deadlock), or take a second pool client on PostgreSQL: with MAILSTEAD_CHECK_TX=1 (the
// test runner sets it) the frame is also tracked in AsyncLocalStorage, only to make such a call
// throw at once.
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
import { prepared } from './prepared.js';
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

// Most write transactions record one feed row (an append, a flag change on one message).
const insertOneChange = prepared(
  (
    db,
    addressId: number,
    mailboxId: number,
    kind: string,
    uid: number | null,
    modseq: number | null,
    at: number,
  ) =>
    db.insertInto('changes').values({ address_id: addressId, mailbox_id: mailboxId, kind, uid, modseq, at }),
);

/** Checking mode (tests): the frame of the async context, to catch top-level store calls inside it. */
const checking: AsyncLocalStorage<Frame> | undefined =
  process.env['MAILSTEAD_CHECK_TX'] === '1' ? new AsyncLocalStorage<Frame>() : undefined;

/** In checking mode, throws when called from inside an open transaction's callback. */
export function assertOutsideTransaction(what: string): void {
  if (checking?.getStore()?.open === true)
    throw new Error(`${what} called inside store.transaction(): use the transaction's roles (tx) instead`);
}

export class TransactionRunner {
  constructor(readonly engine: SqlEngine) {}

  /** A new transaction; `fn` must reach the database only through roles bound to its frame. */
  async run<T>(fn: (frame: Frame) => Promise<T>, opts?: TransactionOptions): Promise<T> {
    assertOutsideTransaction('store.transaction');
    return this.engine.db.transaction().execute(async (trx) => {
      if (opts?.durable === false) await this.engine.relaxCommit(trx);
      const frame: Frame = { trx, open: true, pending: [] };
      try {
        const result = await (checking === undefined ? fn(frame) : checking.run(frame, () => fn(frame)));
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
    if (rows.length === 1) {
      const c = rows[0]!;
      await insertOneChange.execute(
        this.engine,
        frame.trx,
        c.addressId,
        c.mailboxId,
        c.kind,
        c.uid,
        c.modseq,
        c.at,
      );
      return;
    }
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

  /** Outside any transaction: the store's top-level roles (each statement, or `atomic`, on its own). */
  topLevel(): Exec {
    return {
      engine: this.engine,
      db: () => {
        assertOutsideTransaction('a store role');
        return this.engine.db;
      },
      atomic: (fn) => this.run((frame) => fn(this.scope(frame))),
      current: () => {
        assertOutsideTransaction('a store role');
        return undefined;
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
