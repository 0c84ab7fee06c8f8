// One conformance suite for every engine behind the store ports: SQLite in a temp dir, and PostgreSQL
// (127.0.0.1:5432, database `test`) in a fresh random schema per test, dropped afterwards. PostgreSQL
// is skipped with a visible notice when unreachable, unless MAILSTEAD_REQUIRE_PG=1.
import { after, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { DEFAULT_INLINE_BLOB_MAX, openStore } from './open.js';
import type { OpenStoreOptions } from './open.js';
import { StoreConflictError } from './ports.js';
import type { AddressRecord, Dialect, MailboxRecord, NewQueueItem, Store } from './ports.js';

const PG_URL = process.env['MAILSTEAD_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
const RUN = `ms_conf_${randomBytes(4).toString('hex')}`;
let schemaCount = 0;

async function pgQuery(text: string): Promise<void> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

async function postgresReachable(): Promise<boolean> {
  try {
    await pgQuery('select 1');
    return true;
  } catch {
    return false;
  }
}

interface Handle {
  store: Store;
  options: OpenStoreOptions;
  /** Another handle on the same data, as a second process would open it. */
  openAnother(): Promise<Store>;
  close(): Promise<void>;
}

async function openHandle(kind: Dialect): Promise<Handle> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ms-conf-'));
  const schema = kind === 'postgres' ? `${RUN}_${++schemaCount}` : undefined;
  const options: OpenStoreOptions =
    schema === undefined ? { kind, dataDir } : { kind, dataDir, url: PG_URL, schema };
  const dropSchema = async () => {
    if (schema !== undefined) await pgQuery(`drop schema if exists ${schema} cascade`);
  };
  let store: Store;
  try {
    store = await openStore(options);
  } catch (e) {
    await dropSchema();
    rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  const others: Store[] = [];
  return {
    store,
    options,
    async openAnother() {
      const s = await openStore(options);
      others.push(s);
      return s;
    },
    async close() {
      for (const s of others) await s.close();
      await store.close();
      await dropSchema();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const isConflict =
  (constraint: string) =>
  (e: unknown): boolean => {
    assert.ok(e instanceof StoreConflictError, `expected StoreConflictError, got ${String(e)}`);
    assert.equal(e.constraint, constraint);
    return true;
  };

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);
const HASH_C = 'c'.repeat(64);

interface Seed {
  orgId: number;
  serviceId: number;
  address: AddressRecord;
  inbox: MailboxRecord;
}

async function seed(store: Store, tag = 'main'): Promise<Seed> {
  const org = await store.directory.createOrg(`org-${tag}`);
  const svc = await store.directory.createService({ orgId: org.id, name: `${tag}.test`, plan: 'starter' });
  const address = await store.directory.createAddress({
    serviceId: svc.id,
    localPart: 'alice',
    kind: 'mailbox',
    displayName: 'Alice',
    passwordHash: 'hash',
    quotaBytes: 1000,
  });
  const inbox = await store.mail.createMailbox(address.id, 'INBOX', null);
  return { orgId: org.id, serviceId: svc.id, address, inbox };
}

const append = (store: Store, mailboxId: number, flags: string[] = [], size = 100, blobHash = HASH_A) =>
  store.mail.appendMessage({ mailboxId, blobHash, size, internalDate: 1_700_000_000_000, flags });

function queueItem(i: number, over: Partial<NewQueueItem> = {}): NewQueueItem {
  return {
    envelopeId: `env-${i}`,
    sender: 'alice@main.test',
    recipient: `r${i}@remote.test`,
    domain: 'remote.test',
    blobHash: HASH_A,
    size: 10,
    nextAttemptAt: 1000,
    meta: { n: i },
    ...over,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `body` (with `store` open on `options`) in a separate node process: another server or the CLI. */
function inChild(options: OpenStoreOptions, body: string): Promise<void> {
  const openUrl = new URL('./open.js', import.meta.url).href;
  const script = `
    const { openStore } = await import(${JSON.stringify(openUrl)});
    const store = await openStore(JSON.parse(process.argv[1]));
    try { ${body} } finally { await store.close(); }`;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script, JSON.stringify(options)],
      { cwd: fileURLToPath(new URL('.', import.meta.url)) },
      (err, _stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve()),
    );
  });
}

const appendFromChild = (options: OpenStoreOptions, mailboxId: number, count: number) =>
  inChild(
    options,
    `for (let i = 0; i < ${count}; i++) {
      await store.mail.appendMessage({ mailboxId: ${mailboxId}, blobHash: '${HASH_A}', size: 1, internalDate: 0, flags: [] });
    }`,
  );

function conformance(kind: Dialect, skipReason: string | undefined): void {
  const it = (name: string, fn: (store: Store, h: Handle) => Promise<void>) =>
    test(name, async (t: TestContext) => {
      if (skipReason !== undefined) {
        t.skip(skipReason);
        return;
      }
      const h = await openHandle(kind);
      try {
        await fn(h.store, h);
      } finally {
        await h.close();
      }
    });

  describe(`store conformance: ${kind}`, () => {
    describe('engine', () => {
      it('reports its dialect and capabilities', async (store) => {
        assert.equal(store.dialect, kind);
        assert.equal(store.capabilities.returning, true);
        assert.equal(store.capabilities.skipLocked, kind === 'postgres');
        assert.equal(store.capabilities.singleWriter, kind === 'sqlite');
        assert.equal(store.capabilities.sharedAcrossHosts, kind === 'postgres');
      });

      it('checkIntegrity finds nothing wrong in a fresh store with data', async (store) => {
        await seed(store);
        assert.deepEqual(await store.checkIntegrity(), []);
      });

      it('keeps data across close and reopen (migrations run once)', async (store, h) => {
        const s = await seed(store);
        await append(store, s.inbox.id);
        const again = await h.openAnother();
        assert.equal((await again.directory.getAddress(s.address.id))?.localPart, 'alice');
        assert.deepEqual(await again.mail.listUids(s.inbox.id), [1]);
      });

      test('migrates a fresh store opened by several processes at once', async (t) => {
        if (skipReason !== undefined) {
          t.skip(skipReason);
          return;
        }
        const dataDir = mkdtempSync(join(tmpdir(), 'ms-conf-'));
        const schema = `${RUN}_${++schemaCount}`;
        const options: OpenStoreOptions =
          kind === 'sqlite' ? { kind, dataDir } : { kind, dataDir, url: PG_URL, schema };
        try {
          await Promise.all(
            [1, 2, 3].map((i) => inChild(options, `await store.directory.createOrg('org-${i}');`)),
          );
          const store = await openStore(options);
          try {
            for (const i of [1, 2, 3]) assert.ok(await store.directory.findOrgByName(`org-${i}`));
            assert.deepEqual(await store.checkIntegrity(), []);
          } finally {
            await store.close();
          }
        } finally {
          if (kind === 'postgres') await pgQuery(`drop schema if exists ${schema} cascade`);
          rmSync(dataDir, { recursive: true, force: true });
        }
      });

      it('keeps blobs under the data directory', async (store) => {
        const { hash, size } = await store.blobs.put(Buffer.from('hello'));
        assert.equal(size, 5);
        assert.equal((await store.blobs.get(hash)).toString(), 'hello');
        assert.equal(await store.blobs.has(hash), true);
      });

      it('keeps small bodies in the database and large ones as files', async (store, h) => {
        const small = Buffer.alloc(1000, 's');
        const large = Buffer.alloc(DEFAULT_INLINE_BLOB_MAX + 1, 'l');
        assert.equal(store.blobs.joinsTransactions(small.byteLength), true);
        assert.equal(store.blobs.joinsTransactions(large.byteLength), false);
        const a = await store.blobs.put(small);
        const b = await store.blobs.put(large);
        assert.equal((await store.blobs.put(small)).hash, a.hash, 'idempotent');
        const file = (hash: string) =>
          join(h.options.dataDir, 'blobs', hash.slice(0, 2), hash.slice(2, 4), hash);
        assert.equal(existsSync(file(a.hash)), false, 'small body: no file');
        assert.equal(existsSync(file(b.hash)), true, 'large body: a file');
        assert.deepEqual(await store.blobs.get(a.hash), small);
        assert.deepEqual(await store.blobs.get(b.hash), large);
        assert.deepEqual(await collect(store.blobs.list()), [a.hash, b.hash].sort());
        // Another process sees database bodies at once.
        const other = await h.openAnother();
        assert.deepEqual(await other.blobs.get(a.hash), small);
        await store.blobs.delete(a.hash);
        await store.blobs.delete(b.hash);
        assert.equal(await store.blobs.has(a.hash), false);
        assert.equal(await store.blobs.has(b.hash), false);
        await assert.rejects(
          store.blobs.get(a.hash),
          (e: unknown) => (e as { code?: string }).code === 'ENOENT',
        );
        assert.deepEqual(await collect(store.blobs.list()), []);
      });

      it("waits for another connection's write transaction without stopping the process", async (store, h) => {
        // Two handles as two processes would hold them, here in one process: if waiting for the
        // other's write lock blocked the thread (SQLite's busy handler sleeps inside the call),
        // the transaction holding the lock could never finish and the wait would end in SQLITE_BUSY.
        const other = await h.openAnother();
        let release!: () => void;
        const holding = new Promise<void>((r) => (release = r));
        let locked!: () => void;
        const isLocked = new Promise<void>((r) => (locked = r));
        const first = store.transaction(async (tx) => {
          await tx.blobs.put(Buffer.from('first'));
          locked();
          await holding;
        });
        await isLocked;
        const second = other.transaction(async (tx) => {
          await tx.blobs.put(Buffer.from('second'));
        });
        await new Promise((r) => setTimeout(r, 100));
        release();
        await Promise.all([first, second]);
        assert.equal(await store.blobs.has((await store.blobs.put(Buffer.from('second'))).hash), true);
      });

      it('writes a database body as part of the transaction it is put in', async (store) => {
        const body = Buffer.from('rolled back with its rows');
        let hash = '';
        await assert.rejects(
          store.transaction(async (tx) => {
            hash = (await tx.blobs.put(body)).hash;
            assert.equal(await tx.blobs.has(hash), true, 'visible inside the transaction');
            throw new Error('abort');
          }),
          /abort/,
        );
        assert.equal(await store.blobs.has(hash), false, 'gone with the rollback');
        await store.transaction(async (tx) => {
          await tx.blobs.put(body);
        });
        assert.deepEqual(await store.blobs.get(hash), body);
      });

      it('keeps every body in files when inline_blob_max is 0', async () => {
        const dataDir = mkdtempSync(join(tmpdir(), 'ms-conf-files-'));
        const opts: OpenStoreOptions =
          kind === 'sqlite'
            ? { kind, dataDir, inlineBlobMax: 0 }
            : { kind, dataDir, url: PG_URL, schema: `${RUN}_files`, inlineBlobMax: 0 };
        const files = await openStore(opts);
        try {
          assert.equal(files.blobs.joinsTransactions(1), false);
          const { hash } = await files.blobs.put(Buffer.from('x'));
          assert.equal(existsSync(join(dataDir, 'blobs', hash.slice(0, 2), hash.slice(2, 4), hash)), true);
        } finally {
          await files.close();
          if (kind === 'postgres') await pgQuery(`drop schema if exists ${RUN}_files cascade`);
          rmSync(dataDir, { recursive: true, force: true });
        }
      });
    });

    describe('directory', () => {
      it('creates and finds organisations; names are unique', async (store) => {
        const org = await store.directory.createOrg('acme');
        assert.ok(org.id > 0);
        assert.equal(typeof org.createdAt, 'number');
        assert.deepEqual(await store.directory.findOrgByName('acme'), org);
        assert.equal(await store.directory.findOrgByName('nope'), undefined);
        await assert.rejects(store.directory.createOrg('acme'), isConflict('orgs_name_unique'));
      });

      it('creates, lists, re-plans and deletes services', async (store) => {
        const org = await store.directory.createOrg('acme');
        const a = await store.directory.createService({ orgId: org.id, name: 'a.test', plan: 'starter' });
        const b = await store.directory.createService({ orgId: org.id, name: 'b.test', plan: 'premium' });
        assert.deepEqual(a, {
          id: a.id,
          orgId: org.id,
          name: 'a.test',
          plan: 'starter',
          createdAt: a.createdAt,
        });
        assert.deepEqual(await store.directory.getService(b.id), b);
        assert.deepEqual(await store.directory.listServices(), [a, b]);
        await store.directory.setServicePlan(a.id, 'premium');
        assert.equal((await store.directory.getService(a.id))?.plan, 'premium');
        await store.directory.deleteService(a.id);
        assert.equal(await store.directory.getService(a.id), undefined);
        assert.deepEqual(await store.directory.listServices(), [b]);
      });

      it('creates domains, moves the primary, enforces unique names', async (store) => {
        const s = await seed(store);
        const dkim = { dkimSelector: 'ms1', dkimPrivateKey: 'PRIV', dkimPublicKey: 'PUB' };
        const d1 = await store.directory.createDomain({
          serviceId: s.serviceId,
          name: 'a.test',
          isPrimary: true,
          ...dkim,
        });
        const d2 = await store.directory.createDomain({
          serviceId: s.serviceId,
          name: 'b.test',
          isPrimary: false,
          ...dkim,
        });
        assert.equal(d1.isPrimary, true);
        assert.equal(d2.isPrimary, false);
        assert.equal(d1.dkimPrivateKey, 'PRIV');
        assert.deepEqual(await store.directory.findDomain('b.test'), d2);
        assert.equal(await store.directory.findDomain('c.test'), undefined);
        await assert.rejects(
          store.directory.createDomain({ serviceId: s.serviceId, name: 'a.test', isPrimary: false, ...dkim }),
          isConflict('domains_name_unique'),
        );

        await store.directory.setPrimaryDomain(s.serviceId, d2.id);
        const list = await store.directory.listDomains(s.serviceId);
        assert.deepEqual(
          list.map((d) => [d.name, d.isPrimary]),
          [
            ['a.test', false],
            ['b.test', true],
          ],
        );

        // A domain of another service cannot become this service's primary.
        const other = await store.directory.createService({ orgId: s.orgId, name: 'o', plan: 'starter' });
        const d3 = await store.directory.createDomain({
          serviceId: other.id,
          name: 'o.test',
          isPrimary: true,
          ...dkim,
        });
        await assert.rejects(store.directory.setPrimaryDomain(s.serviceId, d3.id));
        assert.equal((await store.directory.findDomain('b.test'))?.isPrimary, true);
        assert.equal((await store.directory.findDomain('o.test'))?.isPrimary, true);
        assert.equal((await store.directory.listDomains()).length, 3);

        await store.directory.deleteDomain(d1.id);
        assert.equal(await store.directory.findDomain('a.test'), undefined);
        assert.ok(
          await store.directory.getAddress(s.address.id),
          'addresses belong to the service, not the domain',
        );
      });

      it('creates addresses with defaults; local parts are unique per service', async (store) => {
        const s = await seed(store);
        assert.deepEqual(s.address, {
          id: s.address.id,
          serviceId: s.serviceId,
          localPart: 'alice',
          kind: 'mailbox',
          displayName: 'Alice',
          passwordHash: 'hash',
          quotaBytes: 1000,
          usedBytes: 0,
          state: 'active',
          forwardKeepCopy: true,
          canManageRules: true,
          createdAt: s.address.createdAt,
        });
        const dup = { ...s.address, passwordHash: null, quotaBytes: 0 };
        await assert.rejects(store.directory.createAddress(dup), isConflict('addresses_local_part_unique'));
        const other = await store.directory.createService({ orgId: s.orgId, name: 'o', plan: 'starter' });
        const same = await store.directory.createAddress({ ...dup, serviceId: other.id });
        assert.equal(same.localPart, 'alice');
        assert.deepEqual(await store.directory.findAddress(s.serviceId, 'alice'), s.address);
        assert.equal(await store.directory.findAddress(s.serviceId, 'bob'), undefined);
        assert.equal(await store.directory.getAddress(999_999), undefined);
      });

      it('lists, counts and updates addresses', async (store) => {
        const s = await seed(store);
        const r = await store.directory.createAddress({
          serviceId: s.serviceId,
          localPart: 'info',
          kind: 'redirect',
          displayName: '',
          passwordHash: null,
          quotaBytes: 0,
        });
        assert.deepEqual(
          (await store.directory.listAddresses(s.serviceId)).map((a) => a.localPart),
          ['alice', 'info'],
        );
        assert.equal((await store.directory.listAddresses()).length, 2);
        assert.equal(await store.directory.countAddresses(s.serviceId), 2);
        assert.equal(await store.directory.countAddresses(s.serviceId, 'mailbox'), 1);
        assert.equal(await store.directory.countAddresses(s.serviceId, 'redirect'), 1);

        await store.directory.updateAddress(s.address.id, {
          localPart: 'alicia',
          displayName: 'Alicia',
          passwordHash: null,
          quotaBytes: 5000,
          state: 'suspended',
          forwardKeepCopy: false,
          canManageRules: false,
        });
        const u = await store.directory.getAddress(s.address.id);
        assert.deepEqual(u, {
          ...s.address,
          localPart: 'alicia',
          displayName: 'Alicia',
          passwordHash: null,
          quotaBytes: 5000,
          state: 'suspended',
          forwardKeepCopy: false,
          canManageRules: false,
        });
        await store.directory.updateAddress(s.address.id, {});
        await store.directory.updateAddress(s.address.id, { forwardKeepCopy: true });
        assert.equal((await store.directory.getAddress(s.address.id))?.forwardKeepCopy, true);
        await assert.rejects(
          store.directory.updateAddress(r.id, { localPart: 'alicia' }),
          isConflict('addresses_local_part_unique'),
        );
      });

      it('adds used bytes, never below zero', async (store) => {
        const s = await seed(store);
        await store.directory.addUsedBytes(s.address.id, 300);
        await store.directory.addUsedBytes(s.address.id, -100);
        assert.equal((await store.directory.getAddress(s.address.id))?.usedBytes, 200);
        await store.directory.addUsedBytes(s.address.id, -1000);
        assert.equal((await store.directory.getAddress(s.address.id))?.usedBytes, 0);
      });

      it('creates, finds, lists and deletes aliases', async (store) => {
        const s = await seed(store);
        const a = await store.directory.createAlias({
          serviceId: s.serviceId,
          addressId: s.address.id,
          localPart: 'al',
        });
        const b = await store.directory.createAlias({
          serviceId: s.serviceId,
          addressId: s.address.id,
          localPart: 'ally',
        });
        assert.deepEqual(a, {
          id: a.id,
          serviceId: s.serviceId,
          addressId: s.address.id,
          localPart: 'al',
          createdAt: a.createdAt,
        });
        assert.deepEqual(await store.directory.findAlias(s.serviceId, 'ally'), b);
        assert.equal(await store.directory.findAlias(s.serviceId, 'nope'), undefined);
        assert.deepEqual(await store.directory.listAliases({ addressId: s.address.id }), [a, b]);
        assert.deepEqual(await store.directory.listAliases({ serviceId: s.serviceId }), [a, b]);
        assert.deepEqual(await store.directory.listAliases({ serviceId: s.serviceId + 1000 }), []);
        await assert.rejects(
          store.directory.createAlias({ serviceId: s.serviceId, addressId: s.address.id, localPart: 'al' }),
          isConflict('aliases_local_part_unique'),
        );
        await store.directory.deleteAlias(a.id);
        assert.deepEqual(await store.directory.listAliases({}), [b]);
      });

      it('replaces targets per kind, keeping their order', async (store) => {
        const s = await seed(store);
        const id = s.address.id;
        await store.directory.setTargets(id, 'forward', ['z@x.test', 'a@x.test', 'm@x.test']);
        await store.directory.setTargets(id, 'redirect', ['r@x.test']);
        assert.deepEqual(await store.directory.listTargets(id, 'forward'), [
          'z@x.test',
          'a@x.test',
          'm@x.test',
        ]);
        assert.deepEqual(await store.directory.listTargets(id, 'redirect'), ['r@x.test']);
        await store.directory.setTargets(id, 'forward', ['b@x.test']);
        assert.deepEqual(await store.directory.listTargets(id, 'forward'), ['b@x.test']);
        await store.directory.setTargets(id, 'forward', []);
        assert.deepEqual(await store.directory.listTargets(id, 'forward'), []);
        assert.deepEqual(await store.directory.listTargets(id, 'redirect'), ['r@x.test']);
      });

      it('deleting an address removes everything it owns, and nothing else', async (store) => {
        const s = await seed(store);
        const keep = await seed(store, 'keep');
        const id = s.address.id;
        await store.directory.createAlias({ serviceId: s.serviceId, addressId: id, localPart: 'al' });
        await store.directory.setTargets(id, 'forward', ['x@y.test']);
        await append(store, s.inbox.id);
        await store.mail.expunge(s.inbox.id, [1]);
        await append(store, s.inbox.id);
        await store.sieve.put(id, 'main', 'keep;');
        await append(store, keep.inbox.id);

        await store.directory.deleteAddress(id);
        assert.equal(await store.directory.getAddress(id), undefined);
        assert.deepEqual(await store.directory.listAliases({ addressId: id }), []);
        assert.deepEqual(await store.directory.listTargets(id, 'forward'), []);
        assert.deepEqual(await store.mail.listMailboxes(id), []);
        assert.equal(await store.mail.getMailboxById(s.inbox.id), undefined);
        assert.deepEqual(await store.mail.listUids(s.inbox.id), []);
        assert.deepEqual(await store.mail.expungedSince(s.inbox.id, 0), []);
        assert.deepEqual(await store.sieve.list(id), []);
        assert.deepEqual(await store.mail.changesSince(0, { addressId: id }), []);
        assert.deepEqual(await store.mail.listUids(keep.inbox.id), [1]);
        assert.ok((await store.mail.changesSince(0, { addressId: keep.address.id })).length > 0);
        assert.deepEqual(await store.checkIntegrity(), []);
      });

      it('deleting a service removes its domains, addresses and aliases', async (store) => {
        const s = await seed(store);
        const keep = await seed(store, 'keep');
        await store.directory.createDomain({
          serviceId: s.serviceId,
          name: 'gone.test',
          isPrimary: true,
          dkimSelector: 's',
          dkimPrivateKey: 'k',
          dkimPublicKey: 'p',
        });
        await store.directory.createAlias({
          serviceId: s.serviceId,
          addressId: s.address.id,
          localPart: 'al',
        });
        await append(store, s.inbox.id);
        await store.directory.deleteService(s.serviceId);
        assert.equal(await store.directory.findDomain('gone.test'), undefined);
        assert.deepEqual(await store.directory.listAddresses(s.serviceId), []);
        assert.deepEqual(await store.directory.listAliases({ serviceId: s.serviceId }), []);
        assert.equal(await store.mail.getMailboxById(s.inbox.id), undefined);
        assert.equal(await store.mail.isBlobReferenced(HASH_A), false);
        assert.ok(await store.directory.getAddress(keep.address.id));
        assert.deepEqual(await store.checkIntegrity(), []);
      });
    });

    describe('mail: folders', () => {
      it('creates, finds, lists, renames and flags mailboxes', async (store) => {
        const s = await seed(store);
        const id = s.address.id;
        assert.deepEqual(s.inbox, {
          id: s.inbox.id,
          addressId: id,
          name: 'INBOX',
          specialUse: null,
          uidValidity: s.inbox.uidValidity,
          uidNext: 1,
          highestModseq: 1,
          subscribed: true,
          createdAt: s.inbox.createdAt,
        });
        const sent = await store.mail.createMailbox(id, 'Sent', '\\Sent');
        assert.equal(sent.specialUse, '\\Sent');
        assert.deepEqual(await store.mail.getMailbox(id, 'Sent'), sent);
        assert.deepEqual(await store.mail.getMailboxById(sent.id), sent);
        assert.equal(await store.mail.getMailbox(id, 'sent'), undefined, 'names other than INBOX are exact');
        await assert.rejects(store.mail.createMailbox(id, 'Sent', null), isConflict('mailboxes_name_unique'));

        await store.mail.renameMailbox(sent.id, 'Sent Items');
        assert.equal(await store.mail.getMailbox(id, 'Sent'), undefined);
        assert.equal((await store.mail.getMailbox(id, 'Sent Items'))?.id, sent.id);
        await assert.rejects(store.mail.renameMailbox(sent.id, 'INBOX'), isConflict('mailboxes_name_unique'));

        await store.mail.setSubscribed(sent.id, false);
        await store.mail.setSpecialUse(sent.id, null);
        await store.mail.setSpecialUse(s.inbox.id, '\\Archive');
        const list = await store.mail.listMailboxes(id);
        assert.deepEqual(
          list.map((m) => [m.name, m.subscribed, m.specialUse]),
          [
            ['INBOX', true, '\\Archive'],
            ['Sent Items', false, null],
          ],
        );
        const feed = await store.mail.changesSince(0, { addressId: id });
        assert.deepEqual(
          feed.map((c) => [c.kind, c.mailboxId, c.uid, c.modseq]),
          [
            ['mailbox-create', s.inbox.id, null, null],
            ['mailbox-create', sent.id, null, null],
            ['mailbox-rename', sent.id, null, null],
          ],
        );
      });

      it('gives every new mailbox a higher 32-bit UIDVALIDITY, also for a re-created name', async (store) => {
        const s = await seed(store);
        const seen: number[] = [s.inbox.uidValidity];
        for (let i = 0; i < 3; i++) {
          const m = await store.mail.createMailbox(s.address.id, 'Tmp', null);
          seen.push(m.uidValidity);
          await store.mail.deleteMailbox(m.id);
        }
        for (const v of seen) assert.ok(Number.isInteger(v) && v > 0 && v <= 0xffffffff, String(v));
        for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! > seen[i - 1]!, seen.join(','));
        assert.ok(Math.abs(seen[0]! - Date.now() / 1000) < 3600, 'close to seconds since the epoch');
      });

      it('deletes a mailbox with its messages, returning the bytes freed', async (store) => {
        const s = await seed(store);
        const box = await store.mail.createMailbox(s.address.id, 'Box', null);
        await append(store, box.id, [], 100);
        await append(store, box.id, [], 250);
        await store.mail.expunge(box.id, [1]);
        assert.equal(await store.mail.deleteMailbox(box.id), 250);
        assert.equal(await store.mail.getMailboxById(box.id), undefined);
        assert.deepEqual(await store.mail.listUids(box.id), []);
        assert.deepEqual(await store.mail.expungedSince(box.id, 0), []);
        assert.equal(await store.mail.deleteMailbox(box.id), 0);
        const last = (await store.mail.changesSince(0)).at(-1);
        assert.deepEqual(
          [last?.kind, last?.mailboxId, last?.addressId],
          ['mailbox-delete', box.id, s.address.id],
        );
      });
    });

    describe('mail: messages', () => {
      it('appends with increasing UIDs and modseqs and reads them back', async (store) => {
        const s = await seed(store);
        const m1 = await append(store, s.inbox.id, ['\\Seen', 'work', 'WORK', '\\Seen'], 100, HASH_A);
        const m2 = await append(store, s.inbox.id, [], 200, HASH_B);
        const m3 = await append(store, s.inbox.id, ['\\Flagged'], 300, HASH_C);
        assert.deepEqual([m1.uid, m2.uid, m3.uid], [1, 2, 3]);
        assert.ok(m1.modseq > s.inbox.highestModseq && m2.modseq > m1.modseq && m3.modseq > m2.modseq);
        assert.deepEqual(m1.flags, ['\\Seen', 'work']);
        assert.deepEqual(m1, {
          id: m1.id,
          mailboxId: s.inbox.id,
          uid: 1,
          modseq: m1.modseq,
          blobHash: HASH_A,
          size: 100,
          internalDate: 1_700_000_000_000,
          flags: ['\\Seen', 'work'],
          savedAt: m1.savedAt,
        });
        assert.deepEqual(await store.mail.getMessage(s.inbox.id, 2), m2);
        assert.equal(await store.mail.getMessage(s.inbox.id, 4), undefined);
        const box = await store.mail.getMailboxById(s.inbox.id);
        assert.equal(box?.uidNext, 4);
        assert.equal(box?.highestModseq, m3.modseq);

        assert.deepEqual(await store.mail.listMessages(s.inbox.id), [m1, m2, m3]);
        assert.deepEqual(await store.mail.listMessages(s.inbox.id, { fromUid: 2 }), [m2, m3]);
        assert.deepEqual(await store.mail.listMessages(s.inbox.id, { fromUid: 2, limit: 1 }), [m2]);
        assert.deepEqual(await store.mail.listMessages(s.inbox.id, { limit: 2 }), [m1, m2]);
        assert.deepEqual(await store.mail.listUids(s.inbox.id), [1, 2, 3]);
        assert.deepEqual(await store.mail.counts(s.inbox.id), { messages: 3, unseen: 2, size: 600 });
        const empty = await store.mail.createMailbox(s.address.id, 'Empty', null);
        assert.deepEqual(await store.mail.counts(empty.id), { messages: 0, unseen: 0, size: 0 });
        assert.deepEqual(await store.mail.listUids(empty.id), []);
      });

      it('refuses an append to a missing mailbox without writing anything', async (store) => {
        const s = await seed(store);
        const before = await store.mail.latestChangeId();
        await assert.rejects(append(store, s.inbox.id + 1000));
        assert.equal(await store.mail.latestChangeId(), before);
        assert.equal(await store.mail.isBlobReferenced(HASH_A), false);
      });

      it('adds, removes and sets flags, bumping modseq only for rows that change', async (store) => {
        const s = await seed(store);
        for (let i = 0; i < 4; i++) await append(store, s.inbox.id, i === 0 ? ['\\Seen'] : []);
        const before = (await store.mail.getMailboxById(s.inbox.id))!.highestModseq;

        const add = await store.mail.setFlags(s.inbox.id, [1, 2, 3, 99], 'add', ['\\Seen', 'todo']);
        assert.deepEqual(add.conflicts, []);
        assert.deepEqual(
          add.updated.map((m) => [m.uid, m.flags]),
          [
            [1, ['\\Seen', 'todo']],
            [2, ['\\Seen', 'todo']],
            [3, ['\\Seen', 'todo']],
          ],
        );
        const m = add.updated[0]!.modseq;
        assert.ok(m > before);
        assert.ok(add.updated.every((u) => u.modseq === m));
        assert.deepEqual(await store.mail.getMessage(s.inbox.id, 2), add.updated[1]);
        assert.equal((await store.mail.getMailboxById(s.inbox.id))?.highestModseq, m);
        assert.deepEqual(await store.mail.counts(s.inbox.id), { messages: 4, unseen: 1, size: 400 });

        // Adding what is there (in another case) changes nothing.
        const again = await store.mail.setFlags(s.inbox.id, [1, 2], 'add', ['\\SEEN']);
        assert.deepEqual(again, { updated: [], conflicts: [] });
        assert.equal((await store.mail.getMailboxById(s.inbox.id))?.highestModseq, m);

        const rem = await store.mail.setFlags(s.inbox.id, [1, 2, 3, 4], 'remove', ['\\seen']);
        assert.deepEqual(
          rem.updated.map((u) => [u.uid, u.flags]),
          [
            [1, ['todo']],
            [2, ['todo']],
            [3, ['todo']],
          ],
        );
        assert.equal((await store.mail.counts(s.inbox.id)).unseen, 4);

        const set = await store.mail.setFlags(s.inbox.id, [3, 4], 'set', [
          '\\Answered',
          '\\Seen',
          '\\Answered',
        ]);
        assert.deepEqual(
          set.updated.map((u) => [u.uid, u.flags]),
          [
            [3, ['\\Answered', '\\Seen']],
            [4, ['\\Answered', '\\Seen']],
          ],
        );
        assert.equal((await store.mail.counts(s.inbox.id)).unseen, 2);
        assert.deepEqual(await store.mail.setFlags(s.inbox.id, [], 'add', ['x']), {
          updated: [],
          conflicts: [],
        });

        const flagChanges = (await store.mail.changesSince(0)).filter((c) => c.kind === 'flags');
        assert.deepEqual(
          flagChanges.map((c) => c.uid),
          [1, 2, 3, 1, 2, 3, 3, 4],
        );
        assert.ok(flagChanges.every((c) => c.mailboxId === s.inbox.id && c.addressId === s.address.id));
      });

      it('finds the messages carrying a flag, spelled exactly', async (store) => {
        const s = await seed(store);
        await append(store, s.inbox.id, ['\\Deleted']);
        await append(store, s.inbox.id, ['\\Seen']);
        await append(store, s.inbox.id, ['\\deleted']);
        await append(store, s.inbox.id, ['x\\Deleted', 'a_b', '100%']);
        await append(store, s.inbox.id, ['\\Seen', '\\Deleted']);
        await append(store, s.inbox.id, ['a!b']);
        const uids = async (flag: string) =>
          (await store.mail.messagesWithFlag(s.inbox.id, flag)).map((m) => m.uid);
        assert.deepEqual(await uids('\\Deleted'), [1, 5]);
        assert.deepEqual(await uids('a_b'), [4]);
        assert.deepEqual(await uids('axb'), []);
        assert.deepEqual(await uids('100%'), [4]);
        assert.deepEqual(await uids('a!b'), [6]);
        assert.deepEqual(await uids('\\Flagged'), []);
        const [m] = await store.mail.messagesWithFlag(s.inbox.id, 'a_b');
        assert.deepEqual(m?.flags, ['x\\Deleted', 'a_b', '100%']);
      });

      it('counts the messages from a UID on', async (store) => {
        const s = await seed(store);
        assert.equal(await store.mail.countFrom(s.inbox.id, 1), 0);
        for (let i = 0; i < 5; i++) await append(store, s.inbox.id);
        assert.equal(await store.mail.countFrom(s.inbox.id, 1), 5);
        assert.equal(await store.mail.countFrom(s.inbox.id, 4), 2);
        assert.equal(await store.mail.countFrom(s.inbox.id, 6), 0);
        await store.mail.expunge(s.inbox.id, [4]);
        assert.equal(await store.mail.countFrom(s.inbox.id, 4), 1);
      });

      it('finds the first unseen UID, following flag changes and expunges', async (store) => {
        const s = await seed(store);
        assert.equal(await store.mail.firstUnseenUid(s.inbox.id), null);
        for (let i = 0; i < 5; i++) await append(store, s.inbox.id, i < 2 ? ['\\Seen'] : []);
        assert.equal(await store.mail.firstUnseenUid(s.inbox.id), 3);
        await store.mail.setFlags(s.inbox.id, [2], 'remove', ['\\Seen']);
        assert.equal(await store.mail.firstUnseenUid(s.inbox.id), 2);
        await store.mail.expunge(s.inbox.id, [2]);
        assert.equal(await store.mail.firstUnseenUid(s.inbox.id), 3);
        await store.mail.setFlags(s.inbox.id, [3, 4, 5], 'add', ['\\Seen']);
        assert.equal(await store.mail.firstUnseenUid(s.inbox.id), null);
      });

      it('leaves rows modified since UNCHANGEDSINCE alone and reports them (CONDSTORE)', async (store) => {
        const s = await seed(store);
        await append(store, s.inbox.id);
        await append(store, s.inbox.id);
        const m2 = await append(store, s.inbox.id);
        const since = m2.modseq;
        await store.mail.setFlags(s.inbox.id, [2], 'add', ['\\Flagged']);
        const r = await store.mail.setFlags(s.inbox.id, [1, 2, 3], 'add', ['\\Seen'], since);
        assert.deepEqual(r.conflicts, [2]);
        assert.deepEqual(
          r.updated.map((u) => u.uid),
          [1, 3],
        );
        assert.deepEqual((await store.mail.getMessage(s.inbox.id, 2))?.flags, ['\\Flagged']);
        const none = await store.mail.setFlags(s.inbox.id, [1, 2, 3], 'add', ['x'], 0);
        assert.deepEqual(none, { updated: [], conflicts: [1, 2, 3] });
      });

      it('expunges with tombstones, a new modseq and feed rows (QRESYNC)', async (store) => {
        const s = await seed(store);
        for (let i = 0; i < 5; i++) await append(store, s.inbox.id, [], 10 * (i + 1));
        const m0 = (await store.mail.getMailboxById(s.inbox.id))!.highestModseq;
        const gone = await store.mail.expunge(s.inbox.id, [4, 2, 42]);
        assert.deepEqual(
          gone.map((m) => [m.uid, m.size]),
          [
            [2, 20],
            [4, 40],
          ],
        );
        const m1 = (await store.mail.getMailboxById(s.inbox.id))!.highestModseq;
        assert.ok(m1 > m0);
        assert.deepEqual(await store.mail.listUids(s.inbox.id), [1, 3, 5]);
        assert.deepEqual(await store.mail.expungedSince(s.inbox.id, 0), [2, 4]);
        assert.deepEqual(await store.mail.expungedSince(s.inbox.id, m0), [2, 4]);
        assert.deepEqual(await store.mail.expungedSince(s.inbox.id, m1), []);
        await store.mail.expunge(s.inbox.id, [5]);
        assert.deepEqual(await store.mail.expungedSince(s.inbox.id, m1), [5]);
        assert.deepEqual(await store.mail.expunge(s.inbox.id, [5]), []);
        assert.deepEqual(await store.mail.expunge(s.inbox.id, []), []);
        const exp = (await store.mail.changesSince(0)).filter((c) => c.kind === 'expunge');
        assert.deepEqual(
          exp.map((c) => [c.uid, c.modseq]),
          [
            [2, m1],
            [4, m1],
            [5, m1 + 1],
          ],
        );
        // UIDs are never reused after an expunge.
        assert.equal((await append(store, s.inbox.id)).uid, 6);
        assert.deepEqual(await store.mail.counts(s.inbox.id), { messages: 3, unseen: 3, size: 140 });
      });

      it('copies messages with their flags into new UIDs', async (store) => {
        const s = await seed(store);
        const dest = await store.mail.createMailbox(s.address.id, 'Archive', '\\Archive');
        await append(store, dest.id);
        await append(store, s.inbox.id, ['\\Seen'], 10, HASH_A);
        await append(store, s.inbox.id, ['x'], 20, HASH_B);
        await append(store, s.inbox.id, [], 30, HASH_C);
        const pairs = await store.mail.copyMessages(s.inbox.id, [3, 1, 77], dest.id);
        assert.deepEqual(pairs, [
          [1, 2],
          [3, 3],
        ]);
        const copied = await store.mail.listMessages(dest.id, { fromUid: 2 });
        assert.deepEqual(
          copied.map((m) => [m.uid, m.blobHash, m.size, m.flags, m.internalDate]),
          [
            [2, HASH_A, 10, ['\\Seen'], 1_700_000_000_000],
            [3, HASH_C, 30, [], 1_700_000_000_000],
          ],
        );
        const box = await store.mail.getMailboxById(dest.id);
        assert.equal(box?.uidNext, 4);
        assert.equal(box?.highestModseq, copied[0]?.modseq);
        assert.deepEqual(await store.mail.counts(dest.id), { messages: 3, unseen: 2, size: 140 });
        assert.deepEqual(await store.mail.listUids(s.inbox.id), [1, 2, 3], 'the source is untouched');
        assert.deepEqual(await store.mail.copyMessages(s.inbox.id, [], dest.id), []);
        const appends = (await store.mail.changesSince(0)).filter(
          (c) => c.kind === 'append' && c.mailboxId === dest.id,
        );
        assert.deepEqual(
          appends.map((c) => c.uid),
          [1, 2, 3],
        );
        await assert.rejects(store.mail.copyMessages(s.inbox.id, [1], dest.id + 1000));
      });

      it('knows which blobs messages still reference', async (store) => {
        const s = await seed(store);
        const other = await store.mail.createMailbox(s.address.id, 'Other', null);
        assert.equal(await store.mail.isBlobReferenced(HASH_A), false);
        await append(store, s.inbox.id, [], 1, HASH_A);
        await store.mail.copyMessages(s.inbox.id, [1], other.id);
        assert.equal(await store.mail.isBlobReferenced(HASH_A), true);
        await store.mail.expunge(s.inbox.id, [1]);
        assert.equal(await store.mail.isBlobReferenced(HASH_A), true);
        await store.mail.deleteMailbox(other.id);
        assert.equal(await store.mail.isBlobReferenced(HASH_A), false);
      });

      it('serves UID lists and counts of 100k messages quickly', async (store) => {
        const s = await seed(store);
        for (let i = 0; i < 1000; i++) await append(store, s.inbox.id, i % 4 === 0 ? ['\\Seen'] : [], 10);
        // Doubling by copying the folder onto itself: 1000 -> 128000.
        for (let i = 0; i < 7; i++)
          await store.mail.copyMessages(s.inbox.id, await store.mail.listUids(s.inbox.id), s.inbox.id);
        let t0 = performance.now();
        const uids = await store.mail.listUids(s.inbox.id);
        const tUids = performance.now() - t0;
        t0 = performance.now();
        const counts = await store.mail.counts(s.inbox.id);
        const tCounts = performance.now() - t0;
        assert.equal(uids.length, 128_000);
        assert.equal(uids[0], 1);
        assert.equal(uids.at(-1), 128_000);
        assert.deepEqual(counts, { messages: 128_000, unseen: 96_000, size: 1_280_000 });
        assert.ok(tUids < 1500, `listUids took ${tUids.toFixed(0)} ms`);
        assert.ok(tCounts < 1000, `counts took ${tCounts.toFixed(0)} ms`);
      });
    });

    describe('mail: change feed', () => {
      it('returns rows in id order, filtered by address, limited; latest id; pruning', async (store) => {
        const a = await seed(store, 'a');
        const b = await seed(store, 'b');
        assert.ok((await store.mail.latestChangeId()) > 0);
        await append(store, a.inbox.id);
        await append(store, b.inbox.id);
        await append(store, a.inbox.id);
        const all = await store.mail.changesSince(0);
        assert.deepEqual(
          all.map((c) => [c.kind, c.addressId]),
          [
            ['mailbox-create', a.address.id],
            ['mailbox-create', b.address.id],
            ['append', a.address.id],
            ['append', b.address.id],
            ['append', a.address.id],
          ],
        );
        for (let i = 1; i < all.length; i++) assert.ok(all[i]!.id > all[i - 1]!.id);
        assert.equal(await store.mail.latestChangeId(), all.at(-1)!.id);
        const onlyA = await store.mail.changesSince(0, { addressId: a.address.id });
        assert.deepEqual(
          onlyA.map((c) => c.uid),
          [null, 1, 2],
        );
        assert.deepEqual(await store.mail.changesSince(all[2]!.id, {}, 1), [all[3]]);
        assert.deepEqual(await store.mail.changesSince(all.at(-1)!.id), []);
        const c = all[2]!;
        assert.equal(typeof c.at, 'number');
        assert.ok(c.modseq !== null && c.modseq > 0);

        assert.equal(await store.mail.pruneChanges(0), 0);
        assert.equal(await store.mail.pruneChanges(Date.now() + 1000), 5);
        assert.deepEqual(await store.mail.changesSince(0), []);
        const next = await append(store, a.inbox.id);
        const after = await store.mail.changesSince(0);
        assert.equal(after.length, 1);
        assert.ok(after[0]!.id > all.at(-1)!.id, 'ids are never reused after pruning');
        assert.equal(after[0]!.uid, next.uid);
      });

      it('sees its own changes inside a transaction, and nothing of a rolled-back one', async (store) => {
        const s = await seed(store);
        const start = await store.mail.latestChangeId();
        await store.transaction(async (tx) => {
          await tx.mail.appendMessage({
            mailboxId: s.inbox.id,
            blobHash: HASH_A,
            size: 1,
            internalDate: 0,
            flags: [],
          });
          const mine = await tx.mail.changesSince(start);
          assert.deepEqual(
            mine.map((c) => c.kind),
            ['append'],
          );
          await tx.mail.appendMessage({
            mailboxId: s.inbox.id,
            blobHash: HASH_A,
            size: 1,
            internalDate: 0,
            flags: [],
          });
        });
        assert.deepEqual(
          (await store.mail.changesSince(start)).map((c) => c.uid),
          [1, 2],
        );
        const mid = await store.mail.latestChangeId();
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.mail.appendMessage({
              mailboxId: s.inbox.id,
              blobHash: HASH_A,
              size: 1,
              internalDate: 0,
              flags: [],
            });
            throw new Error('boom');
          }),
        );
        assert.deepEqual(await store.mail.changesSince(mid), []);
      });

      it('keeps UIDs and feed complete when two processes append at once', async (store, h) => {
        const s = await seed(store);
        const start = await store.mail.latestChangeId();
        await Promise.all([
          appendFromChild(h.options, s.inbox.id, 25),
          appendFromChild(h.options, s.inbox.id, 25),
          (async () => {
            for (let i = 0; i < 10; i++) await append(store, s.inbox.id);
          })(),
        ]);
        const uids = await store.mail.listUids(s.inbox.id);
        assert.deepEqual(
          uids,
          Array.from({ length: 60 }, (_, i) => i + 1),
        );
        const feed = await store.mail.changesSince(start);
        assert.equal(feed.length, 60);
        assert.deepEqual(
          feed.map((c) => c.uid).sort((x, y) => x! - y!),
          uids,
        );
        // Feed order is commit order, so modseqs rise along it.
        for (let i = 1; i < feed.length; i++) assert.ok(feed[i]!.modseq! > feed[i - 1]!.modseq!);
      });
    });

    describe('transactions', () => {
      it('commits everything done through tx and returns the callback value', async (store) => {
        const s = await seed(store);
        const v = await store.transaction(async (tx) => {
          const a = await tx.directory.createAddress({
            serviceId: s.serviceId,
            localPart: 'bob',
            kind: 'mailbox',
            displayName: '',
            passwordHash: null,
            quotaBytes: 0,
          });
          const box = await tx.mail.createMailbox(a.id, 'INBOX', null);
          await tx.mail.appendMessage({
            mailboxId: box.id,
            blobHash: HASH_A,
            size: 5,
            internalDate: 0,
            flags: [],
          });
          await tx.directory.addUsedBytes(a.id, 5);
          return a.id;
        });
        assert.equal((await store.directory.getAddress(v))?.usedBytes, 5);
        assert.equal((await store.mail.getMailbox(v, 'INBOX'))?.uidNext, 2);
      });

      it('rolls back completely when the callback throws', async (store) => {
        const s = await seed(store);
        const boom = new Error('boom');
        await assert.rejects(
          store.transaction(async (tx) => {
            const a = await tx.directory.createAddress({
              serviceId: s.serviceId,
              localPart: 'bob',
              kind: 'mailbox',
              displayName: '',
              passwordHash: null,
              quotaBytes: 0,
            });
            await tx.mail.createMailbox(a.id, 'INBOX', null);
            await tx.mail.appendMessage({
              mailboxId: s.inbox.id,
              blobHash: HASH_B,
              size: 5,
              internalDate: 0,
              flags: [],
            });
            await tx.mail.setFlags(s.inbox.id, [1], 'add', ['\\Seen']);
            await tx.queue.enqueue([queueItem(1)]);
            await tx.kv.set('ns', 'k', 'v');
            await tx.sieve.put(s.address.id, 'main', 'keep;');
            await tx.mailLog.append([
              { at: 1, address: 'a@b', direction: 'in', messageId: 'm', event: 'received', detail: {} },
            ]);
            await tx.directory.updateAddress(s.address.id, { displayName: 'Changed' });
            await tx.directory.createAlias({
              serviceId: s.serviceId,
              addressId: s.address.id,
              localPart: 'al',
            });
            throw boom;
          }),
          (e) => e === boom,
        );
        assert.equal(await store.directory.findAddress(s.serviceId, 'bob'), undefined);
        assert.equal(await store.directory.findAlias(s.serviceId, 'al'), undefined);
        assert.equal((await store.directory.getAddress(s.address.id))?.displayName, 'Alice');
        assert.deepEqual(await store.mail.listUids(s.inbox.id), []);
        assert.equal((await store.mail.getMailboxById(s.inbox.id))?.uidNext, 1, 'the UID was not consumed');
        assert.equal(await store.mail.isBlobReferenced(HASH_B), false);
        assert.deepEqual(await store.queue.list(), []);
        assert.equal(await store.kv.get('ns', 'k'), undefined);
        assert.deepEqual(await store.sieve.list(s.address.id), []);
        assert.deepEqual(await store.mailLog.query({}), []);
        assert.deepEqual(await store.checkIntegrity(), []);
      });

      it('refuses top-level store calls made inside a transaction (checking mode)', async (store) => {
        // Without the check such a call would wait for the connection the transaction holds
        // (SQLite) or run outside it (PostgreSQL); scripts/run-tests.mjs turns the check on.
        assert.equal(process.env['MAILSTEAD_CHECK_TX'], '1', 'run the tests with MAILSTEAD_CHECK_TX=1');
        const s = await seed(store);
        const inside = /inside store\.transaction\(\)/;
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.kv.set('ns', 'k', 'v');
            await store.kv.get('ns', 'k');
          }),
          inside,
        );
        await assert.rejects(
          store.transaction(async () => {
            await store.transaction((inner) => inner.kv.set('ns', 'inner', '1'));
          }),
          inside,
        );
        await assert.rejects(
          store.transaction(async () => {
            await store.blobs.put(Buffer.from('outside the transaction'));
          }),
          inside,
        );
        assert.equal(await store.kv.get('ns', 'k'), undefined, 'the failed transaction rolled back');
        assert.equal(await store.kv.get('ns', 'inner'), undefined);
        // Work a transaction started that outlives it is outside it again, and allowed. It waits for a
        // gate opened once the transaction has returned (a fixed delay lost the race on a loaded machine).
        let openGate!: () => void;
        const gate = new Promise<void>((r) => (openGate = r));
        let later!: Promise<unknown>;
        await store.transaction(async (tx) => {
          later = gate.then(() => store.mail.listMailboxes(s.address.id));
          await tx.kv.set('ns', 'k', 'v');
        });
        openGate();
        assert.equal(((await later) as unknown[]).length, 1);
      });

      it('surfaces a constraint violation as StoreConflictError and rolls back', async (store) => {
        const s = await seed(store);
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.kv.set('ns', 'k', 'v');
            await tx.mail.createMailbox(s.address.id, 'INBOX', null);
          }),
          isConflict('mailboxes_name_unique'),
        );
        assert.equal(await store.kv.get('ns', 'k'), undefined);
      });

      it('refuses to use a transaction after it ended', async (store) => {
        const s = await seed(store);
        let kept: Parameters<Parameters<Store['transaction']>[0]>[0] | undefined;
        await store.transaction(async (tx) => {
          kept = tx;
          await tx.kv.set('ns', 'k', 'v');
        });
        await assert.rejects(kept!.directory.getAddress(s.address.id), /transaction already finished/);
        assert.equal(await store.kv.get('ns', 'k'), 'v');
      });

      it('commits and rolls back a transaction that need not be durable like any other', async (store) => {
        const s = await seed(store);
        await append(store, s.inbox.id);
        const r = await store.transaction((tx) => tx.mail.setFlags(s.inbox.id, [1], 'add', ['\\Seen']), {
          durable: false,
        });
        assert.deepEqual(r.updated[0]?.flags, ['\\Seen']);
        assert.deepEqual((await store.mail.getMessage(s.inbox.id, 1))?.flags, ['\\Seen']);
        const boom = new Error('boom');
        await assert.rejects(
          store.transaction(
            async (tx) => {
              await tx.kv.set('ns', 'k', 'v');
              throw boom;
            },
            { durable: false },
          ),
          (e) => e === boom,
        );
        assert.equal(await store.kv.get('ns', 'k'), undefined);
      });

      it('serves concurrent callers outside transactions while one is open', async (store) => {
        const s = await seed(store);
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        const tx = store.transaction(async (t) => {
          await t.mail.appendMessage({
            mailboxId: s.inbox.id,
            blobHash: HASH_A,
            size: 1,
            internalDate: 0,
            flags: [],
          });
          await gate;
          await t.mail.appendMessage({
            mailboxId: s.inbox.id,
            blobHash: HASH_A,
            size: 1,
            internalDate: 0,
            flags: [],
          });
        });
        // A caller outside the transaction waits for it (SQLite) or runs beside it (PostgreSQL).
        const outside = append(store, s.inbox.id);
        await sleep(20);
        release();
        await Promise.all([tx, outside]);
        assert.deepEqual(await store.mail.listUids(s.inbox.id), [1, 2, 3]);
      });
    });

    describe('queue', () => {
      it('enqueues rows with defaults and reads them back', async (store) => {
        const items = await store.queue.enqueue([
          queueItem(1),
          queueItem(2, { sender: '', meta: { dsn: { notify: ['FAILURE'] } } }),
        ]);
        assert.equal(items.length, 2);
        const [a, b] = items;
        assert.deepEqual(a, {
          id: a!.id,
          envelopeId: 'env-1',
          sender: 'alice@main.test',
          recipient: 'r1@remote.test',
          domain: 'remote.test',
          blobHash: HASH_A,
          size: 10,
          status: 'queued',
          attempts: 0,
          nextAttemptAt: 1000,
          createdAt: a!.createdAt,
          lastError: null,
          delayNotified: false,
          meta: { n: 1 },
          leaseOwner: null,
          leaseUntil: null,
        });
        assert.equal(b!.sender, '');
        assert.deepEqual(b!.meta, { dsn: { notify: ['FAILURE'] } });
        assert.deepEqual(await store.queue.get(b!.id), b);
        assert.equal(await store.queue.get(b!.id + 100), undefined);
        assert.deepEqual(await store.queue.list(), [a, b]);
        assert.deepEqual(await store.queue.list({ limit: 1 }), [a]);
        assert.deepEqual(await store.queue.list({ status: 'failed' }), []);
        assert.deepEqual(await store.queue.enqueue([]), []);
      });

      it('leases due rows once, frees them on finish, and re-leases expired leases', async (store) => {
        await store.queue.enqueue([
          queueItem(1, { nextAttemptAt: 100 }),
          queueItem(2, { nextAttemptAt: 200 }),
          queueItem(3, { nextAttemptAt: 300 }),
          queueItem(4, { nextAttemptAt: 1_000_000 }),
        ]);
        const w1 = await store.queue.lease('w1', 1000, 60_000, 2);
        assert.deepEqual(
          w1.map((i) => [i.recipient, i.leaseOwner, i.leaseUntil]),
          [
            ['r1@remote.test', 'w1', 61_000],
            ['r2@remote.test', 'w1', 61_000],
          ],
        );
        const w2 = await store.queue.lease('w2', 1000, 60_000, 10);
        assert.deepEqual(
          w2.map((i) => i.recipient),
          ['r3@remote.test'],
          'not due and leased rows are skipped',
        );
        assert.deepEqual(await store.queue.lease('w3', 1000, 60_000, 10), []);
        assert.deepEqual(await store.queue.lease('w3', 1000, 60_000, 0), []);

        const [r1, r2] = w1;
        assert.equal(
          await store.queue.finish(r1!.id, 'w2', { status: 'delivered' }),
          false,
          'not the holder',
        );
        assert.equal(
          await store.queue.finish(r1!.id, 'w1', {
            status: 'queued',
            attempts: 1,
            nextAttemptAt: 100_000,
            lastError: '451 try later',
            delayNotified: true,
          }),
          true,
        );
        const f1 = await store.queue.get(r1!.id);
        assert.deepEqual(
          [
            f1?.status,
            f1?.attempts,
            f1?.nextAttemptAt,
            f1?.lastError,
            f1?.delayNotified,
            f1?.leaseOwner,
            f1?.leaseUntil,
          ],
          ['queued', 1, 100_000, '451 try later', true, null, null],
        );
        assert.equal(
          await store.queue.finish(r1!.id, 'w1', { status: 'delivered' }),
          false,
          'lease already freed',
        );

        // w1's lease on r2 expires; another worker takes it and w1 can no longer finish it.
        const late = await store.queue.lease('w3', 61_000, 60_000, 10);
        assert.deepEqual(late.map((i) => i.recipient).sort(), ['r2@remote.test', 'r3@remote.test']);
        assert.equal(await store.queue.finish(r2!.id, 'w1', { status: 'delivered' }), false);
        assert.equal(await store.queue.finish(r2!.id, 'w3', { status: 'delivered', attempts: 1 }), true);
        assert.equal((await store.queue.get(r2!.id))?.status, 'delivered');
        assert.deepEqual(
          (await store.queue.lease('w4', 110_000, 1000, 10)).map((i) => i.recipient),
          ['r1@remote.test'],
          'r1 is due again, r2 is delivered, r3 is held by w3 until 121000, r4 is not due',
        );
        assert.deepEqual(
          (await store.queue.list({ status: 'delivered' })).map((i) => i.id),
          [r2!.id],
        );
      });

      it('never hands one row to two workers leasing at the same time', async (store, h) => {
        await store.queue.enqueue(Array.from({ length: 200 }, (_, i) => queueItem(i)));
        const other = await h.openAnother();
        const grabs = await Promise.all(
          Array.from({ length: 8 }, (_, i) =>
            (i % 2 === 0 ? store : other).queue.lease(`w${i}`, 1000, 60_000, 30),
          ),
        );
        const ids = grabs.flat().map((i) => i.id);
        assert.equal(ids.length, 200);
        assert.equal(new Set(ids).size, 200);
        for (const [i, g] of grabs.entries()) assert.ok(g.every((item) => item.leaseOwner === `w${i}`));
      });

      it('retries now, deletes, tracks blob references and purges finished rows', async (store) => {
        const [a, b, c] = await store.queue.enqueue([
          queueItem(1, { nextAttemptAt: 9_999_999, blobHash: HASH_A }),
          queueItem(2, { blobHash: HASH_B }),
          queueItem(3, { blobHash: HASH_C }),
        ]);
        assert.equal(await store.queue.retryNow(a!.id, 500), true);
        assert.equal((await store.queue.get(a!.id))?.nextAttemptAt, 500);
        assert.equal(await store.queue.retryNow(a!.id + 100, 500), false);

        assert.equal(await store.queue.isBlobReferenced(HASH_B), true);
        const leased = await store.queue.lease('w', 1000, 1000, 10);
        assert.equal(leased.length, 3);
        await store.queue.finish(b!.id, 'w', { status: 'failed', lastError: '550 no such user' });
        await store.queue.finish(c!.id, 'w', { status: 'delivered' });
        assert.equal(
          await store.queue.isBlobReferenced(HASH_B),
          false,
          'failed rows no longer need the blob',
        );
        assert.equal(await store.queue.isBlobReferenced(HASH_C), false);
        assert.equal(await store.queue.isBlobReferenced(HASH_A), true);
        assert.equal(await store.queue.retryNow(b!.id, 500), false, 'only queued rows are retried');

        assert.equal(await store.queue.purgeFinished(0), 0);
        assert.equal(await store.queue.purgeFinished(Date.now() + 1000), 2);
        assert.deepEqual(
          (await store.queue.list()).map((i) => i.id),
          [a!.id],
        );
        assert.equal(await store.queue.delete(a!.id), true);
        assert.equal(await store.queue.delete(a!.id), false);
        assert.deepEqual(await store.queue.list(), []);
      });
    });

    describe('sieve', () => {
      it('stores, lists, renames and deletes scripts', async (store) => {
        const s = await seed(store);
        const id = s.address.id;
        await store.sieve.put(id, 'main', 'keep;');
        await store.sieve.put(id, 'alt', 'discard;');
        const main = await store.sieve.get(id, 'main');
        assert.deepEqual(main, {
          addressId: id,
          name: 'main',
          source: 'keep;',
          active: false,
          updatedAt: main!.updatedAt,
        });
        assert.equal(await store.sieve.get(id, 'nope'), undefined);
        assert.deepEqual(
          (await store.sieve.list(id)).map((x) => x.name),
          ['alt', 'main'],
        );
        assert.equal(await store.sieve.rename(id, 'alt', 'other'), true);
        assert.equal(await store.sieve.rename(id, 'alt', 'x'), false);
        await assert.rejects(store.sieve.rename(id, 'other', 'main'), isConflict('sieve_scripts_pkey'));
        assert.equal(await store.sieve.delete(id, 'other'), true);
        assert.equal(await store.sieve.delete(id, 'other'), false);
        assert.deepEqual(
          (await store.sieve.list(id)).map((x) => x.name),
          ['main'],
        );
        const other = await seed(store, 'other');
        assert.deepEqual(await store.sieve.list(other.address.id), []);
      });

      it('keeps at most one active script, through updates and renames', async (store) => {
        const s = await seed(store);
        const id = s.address.id;
        await store.sieve.put(id, 'a', 'keep;');
        await store.sieve.put(id, 'b', 'stop;');
        assert.equal(await store.sieve.getActive(id), undefined);
        await store.sieve.setActive(id, 'a');
        assert.equal((await store.sieve.getActive(id))?.name, 'a');
        await store.sieve.setActive(id, 'b');
        assert.equal((await store.sieve.getActive(id))?.name, 'b');
        assert.deepEqual(
          (await store.sieve.list(id)).map((x) => [x.name, x.active]),
          [
            ['a', false],
            ['b', true],
          ],
        );
        await store.sieve.put(id, 'b', 'discard;');
        const b = await store.sieve.getActive(id);
        assert.deepEqual(
          [b?.name, b?.source, b?.active],
          ['b', 'discard;', true],
          'an update keeps it active',
        );
        await store.sieve.rename(id, 'b', 'c');
        assert.equal((await store.sieve.getActive(id))?.name, 'c');
        await assert.rejects(store.sieve.setActive(id, 'missing'));
        assert.equal((await store.sieve.getActive(id))?.name, 'c', 'a failed activation changes nothing');
        await store.sieve.setActive(id, null);
        assert.equal(await store.sieve.getActive(id), undefined);
      });
    });

    describe('kv', () => {
      it('sets, gets, overwrites and deletes values', async (store) => {
        assert.equal(await store.kv.get('ns', 'k'), undefined);
        await store.kv.set('ns', 'k', 'v1');
        await store.kv.set('other', 'k', 'o');
        assert.equal(await store.kv.get('ns', 'k'), 'v1');
        await store.kv.set('ns', 'k', 'v2');
        assert.equal(await store.kv.get('ns', 'k'), 'v2');
        assert.equal(await store.kv.get('other', 'k'), 'o');
        await store.kv.delete('ns', 'k');
        await store.kv.delete('ns', 'k');
        assert.equal(await store.kv.get('ns', 'k'), undefined);
      });

      it('hides expired values and purges them', async (store) => {
        const now = Date.now();
        await store.kv.set('ns', 'short', 'x', 60_000);
        await store.kv.set('ns', 'forever', 'y');
        assert.equal(await store.kv.get('ns', 'short'), 'x');
        assert.equal(await store.kv.get('ns', 'short', now + 120_000), undefined);
        assert.equal(await store.kv.get('ns', 'forever', now + 1e12), 'y');
        await store.kv.set('ns', 'short', 'x2');
        assert.equal(
          await store.kv.get('ns', 'short', now + 120_000),
          'x2',
          'set without ttl removes the expiry',
        );
        await store.kv.set('ns', 'short', 'x3', 60_000);
        assert.equal(await store.kv.purgeExpired(now), 0);
        assert.equal(await store.kv.purgeExpired(now + 120_000), 1);
        assert.equal(await store.kv.get('ns', 'short'), undefined);
        assert.equal(await store.kv.get('ns', 'forever'), 'y');
      });

      it('sets only if absent or expired', async (store) => {
        assert.equal(await store.kv.setIfAbsent('dup', 'm1', 'first', 60_000), true);
        assert.equal(await store.kv.setIfAbsent('dup', 'm1', 'second', 60_000), false);
        assert.equal(await store.kv.get('dup', 'm1'), 'first');
        await store.kv.set('dup', 'm2', 'old', 1);
        await sleep(10);
        assert.equal(await store.kv.setIfAbsent('dup', 'm2', 'new'), true);
        assert.equal(await store.kv.get('dup', 'm2', Date.now() + 1e9), 'new');
        assert.equal(await store.kv.setIfAbsent('dup', 'm2', 'newer'), false);
      });

      it('compares and sets: only from the expected value, absent meaning absent', async (store) => {
        assert.equal(await store.kv.compareAndSet('cas', 'k', undefined, '1'), true);
        assert.equal(await store.kv.compareAndSet('cas', 'k', undefined, '2'), false);
        assert.equal(await store.kv.compareAndSet('cas', 'k', '0', '2'), false);
        assert.equal(await store.kv.compareAndSet('cas', 'k', '1', '2'), true);
        assert.equal(await store.kv.get('cas', 'k'), '2');
        // racing writers from the same value: exactly one wins
        const wins = await Promise.all(
          ['a', 'b', 'c', 'd'].map((v) => store.kv.compareAndSet('cas', 'k', '2', v)),
        );
        assert.equal(wins.filter(Boolean).length, 1);
        await store.kv.set('cas', 'gone', 'x', 1);
        await sleep(10);
        assert.equal(
          await store.kv.compareAndSet('cas', 'gone', 'x', 'y'),
          false,
          'an expired value is absent',
        );
        assert.equal(await store.kv.compareAndSet('cas', 'gone', undefined, 'y'), true);
      });

      it('increments counters atomically, restarting expired ones', async (store, h) => {
        assert.equal(await store.kv.incr('rate', 'ip', 1, 60_000), 1);
        assert.equal(await store.kv.incr('rate', 'ip', 5, 1), 6, 'an existing counter keeps its ttl');
        assert.equal(await store.kv.incr('rate', 'ip', -2), 4);
        assert.equal(await store.kv.get('rate', 'ip'), '4');
        assert.equal(await store.kv.get('rate', 'ip', Date.now() + 120_000), undefined);

        await store.kv.incr('rate', 'burst', 1, 1);
        await sleep(10);
        assert.equal(await store.kv.incr('rate', 'burst', 3, 60_000), 3);

        const other = await h.openAnother();
        await Promise.all(
          Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? store : other).kv.incr('rate', 'race', 1)),
        );
        assert.equal(await store.kv.get('rate', 'race'), '50');
      });
    });

    describe('mail log', () => {
      it('appends, queries newest first with filters, and purges by age', async (store) => {
        const ev = (at: number, address: string, messageId: string, event: string) => ({
          at,
          address,
          direction: 'in' as const,
          messageId,
          event,
          detail: { from: 'x@y.test', n: at },
        });
        await store.mailLog.append([
          ev(100, 'alice@a.test', '<m1@x>', 'received'),
          ev(200, 'alice@a.test', '<m1@x>', 'delivered'),
          ev(300, 'bob@a.test', '<m2@x>', 'rejected'),
          ev(400, 'alice@a.test', '<m3@x>', 'filtered'),
        ]);
        await store.mailLog.append([]);
        const all = await store.mailLog.query({});
        assert.deepEqual(
          all.map((r) => r.at),
          [400, 300, 200, 100],
        );
        const first = all[3]!;
        assert.deepEqual(first, {
          id: first.id,
          at: 100,
          address: 'alice@a.test',
          direction: 'in',
          messageId: '<m1@x>',
          event: 'received',
          detail: { from: 'x@y.test', n: 100 },
        });
        assert.deepEqual(
          (await store.mailLog.query({ address: 'alice@a.test' })).map((r) => r.event),
          ['filtered', 'delivered', 'received'],
        );
        assert.deepEqual(
          (await store.mailLog.query({ messageId: '<m1@x>' })).map((r) => r.event),
          ['delivered', 'received'],
        );
        assert.deepEqual(
          (await store.mailLog.query({ since: 200, until: 400 })).map((r) => r.at),
          [300, 200],
        );
        assert.deepEqual(
          (await store.mailLog.query({ address: 'alice@a.test', limit: 1 })).map((r) => r.at),
          [400],
        );
        assert.equal(await store.mailLog.purgeOlderThan(250), 2);
        assert.deepEqual(
          (await store.mailLog.query({})).map((r) => r.at),
          [400, 300],
        );
      });
    });
  });
}

const pgUp = await postgresReachable();
const requirePg = process.env['MAILSTEAD_REQUIRE_PG'] === '1';

conformance('sqlite', undefined);
if (pgUp || !requirePg) {
  conformance(
    'postgres',
    pgUp
      ? undefined
      : `PostgreSQL unreachable at ${PG_URL}: skipped (set MAILSTEAD_REQUIRE_PG=1 to make this fail)`,
  );
} else {
  test('store conformance: postgres', () => {
    assert.fail(`PostgreSQL required (MAILSTEAD_REQUIRE_PG=1) but unreachable at ${PG_URL}`);
  });
}

after(async () => {
  if (!pgUp) return;
  // Sweep schemas a failed test may have left behind.
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    const r = await c.query<{ nspname: string }>('select nspname from pg_namespace where nspname like $1', [
      `${RUN}_%`,
    ]);
    for (const { nspname } of r.rows) await c.query(`drop schema if exists ${nspname} cascade`);
  } finally {
    await c.end();
  }
});
