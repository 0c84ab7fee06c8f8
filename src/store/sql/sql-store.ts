// The Store over one SQL engine: role stores bound to the ambient transaction (or the engine), and
// transaction(fn) handing the same roles bound to one transaction.
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

function makeRoles(x: Exec, mailLog: MailLogBuffer): StoreRoles {
  return Object.freeze({
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
  readonly #txRoles = new WeakMap<Frame, StoreRoles>();
  readonly #mailLogBuffer: MailLogBuffer;
  #closed = false;

  /**
   * `blobs` is the blob store, or builds it from the database's own blob tier (which follows the
   * ambient transaction like the other roles).
   */
  constructor(
    private readonly engine: SqlEngine,
    blobs: BlobStore | ((inline: InlineBlobTier) => BlobStore),
  ) {
    this.dialect = engine.dialect;
    this.capabilities = engine.capabilities;
    this.#runner = new TransactionRunner(engine);
    const ambient = this.#runner.ambient();
    this.#mailLogBuffer = new MailLogBuffer((events) => insertMailLog(ambient, events));
    const roles = makeRoles(ambient, this.#mailLogBuffer);
    this.directory = roles.directory;
    this.mail = roles.mail;
    this.queue = roles.queue;
    this.sieve = roles.sieve;
    this.kv = roles.kv;
    this.mailLog = roles.mailLog;
    this.blobs = typeof blobs === 'function' ? blobs(new SqlBlobStore(ambient)) : blobs;
  }

  private rolesFor(frame: Frame): StoreRoles {
    let roles = this.#txRoles.get(frame);
    if (roles === undefined) {
      roles = makeRoles(this.#runner.bound(frame), this.#mailLogBuffer);
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
