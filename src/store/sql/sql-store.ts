// The Store over one SQL engine: role stores outside any transaction, and transaction(fn) handing the
// same roles (and the blob store, whose database tier joins it) bound to one transaction.
import type { BlobStore, Capabilities, Dialect, Store, StoreRoles, TransactionOptions } from '../ports.js';
import type { Exec, Frame } from './context.js';
import { TransactionRunner } from './context.js';
import { SqlDirectoryStore } from './directory-store.js';
import type { SqlEngine } from './engine.js';
import { mappingStoreErrors, toStoreError } from './errors.js';
import { SqlKvStore } from './kv-store.js';
import { MailLogBuffer } from './mail-log-buffer.js';
import { insertMailLog, SqlMailLogStore } from './mail-log-store.js';
import { SqlMailStore } from './mail-store.js';
import { SqlQueueStore } from './queue-store.js';
import { SqlSieveStore } from './sieve-store.js';
import { SqlBlobStore } from './blob-store.js';
import type { InlineBlobTier } from '../blob/tiered-blob-store.js';

function makeRoles(x: Exec, mailLog: MailLogBuffer, blobs: BlobStore): StoreRoles {
  return Object.freeze({
    blobs,
    directory: mappingStoreErrors(new SqlDirectoryStore(x)),
    mail: mappingStoreErrors(new SqlMailStore(x)),
    queue: mappingStoreErrors(new SqlQueueStore(x)),
    sieve: mappingStoreErrors(new SqlSieveStore(x)),
    kv: mappingStoreErrors(new SqlKvStore(x)),
    mailLog: mappingStoreErrors(new SqlMailLogStore(x, mailLog)),
  });
}

export class SqlStore implements Store {
  readonly dialect: Dialect;
  readonly capabilities: Capabilities;
  readonly directory;
  readonly mail;
  readonly queue;
  readonly sieve;
  readonly kv;
  readonly mailLog;
  readonly blobs: BlobStore;
  readonly #runner: TransactionRunner;
  readonly #blobsFor: (x: Exec) => BlobStore;
  readonly #txRoles = new WeakMap<Frame, StoreRoles>();
  readonly #mailLogBuffer: MailLogBuffer;
  #closed = false;

  /**
   * `blobs` is the blob store, or builds it from the database's own blob tier (built again for each
   * transaction, whose database tier then writes inside it).
   */
  constructor(
    private readonly engine: SqlEngine,
    blobs: BlobStore | ((inline: InlineBlobTier) => BlobStore),
  ) {
    this.dialect = engine.dialect;
    this.capabilities = engine.capabilities;
    this.#runner = new TransactionRunner(engine);
    const top = this.#runner.topLevel();
    this.#mailLogBuffer = new MailLogBuffer((events) => insertMailLog(top, events));
    this.#blobsFor = typeof blobs === 'function' ? (x) => blobs(new SqlBlobStore(x)) : () => blobs;
    const roles = makeRoles(top, this.#mailLogBuffer, this.#blobsFor(top));
    this.directory = roles.directory;
    this.mail = roles.mail;
    this.queue = roles.queue;
    this.sieve = roles.sieve;
    this.kv = roles.kv;
    this.mailLog = roles.mailLog;
    this.blobs = roles.blobs;
  }

  private rolesFor(frame: Frame): StoreRoles {
    let roles = this.#txRoles.get(frame);
    if (roles === undefined) {
      const x = this.#runner.bound(frame);
      roles = makeRoles(x, this.#mailLogBuffer, this.#blobsFor(x));
      this.#txRoles.set(frame, roles);
    }
    return roles;
  }

  async transaction<T>(fn: (tx: StoreRoles) => Promise<T>, opts?: TransactionOptions): Promise<T> {
    try {
      return await this.#runner.run((frame) => fn(this.rolesFor(frame)), opts);
    } catch (e) {
      throw toStoreError(e);
    }
  }

  checkIntegrity(): Promise<string[]> {
    return this.engine.checkIntegrity();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Batched mail log lines still waiting go in before the engine closes.
    await this.#mailLogBuffer.flush().catch(() => undefined);
    await this.engine.close();
  }
}
