// The one TOML configuration file, validated strictly: an unknown key or a wrong type stops the start
// with the key's dotted name, so a typo never silently turns a service off.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';

const port = z.number().int().min(0).max(65535);

const listenSchema = z
  .object({
    bind: z.string().default('127.0.0.1'),
    smtp: port.default(0),
    submission: port.default(0),
    submissions: port.default(0),
    imap: port.default(0),
    imaps: port.default(0),
    pop3: port.default(0),
    pop3s: port.default(0),
    managesieve: port.default(0),
    http: port.default(0),
    /** Accept a HAProxy PROXY v1/v2 header on every listener (only behind a trusted proxy). */
    proxy_protocol: z.boolean().default(false),
  })
  .strict();

const storeSchema = z
  .object({
    kind: z.enum(['sqlite', 'postgres']).default('sqlite'),
    url: z.string().default(''),
    /** PostgreSQL schema (search_path); empty = the server's default. */
    schema: z.string().default(''),
    /**
     * Message bodies up to this many bytes are stored in the database with their rows (one commit,
     * no file per message); larger ones as files under data_dir/blobs. 0 = every body in a file.
     */
    inline_blob_max: z
      .number()
      .int()
      .min(0)
      .max(16 * 1024 * 1024)
      .default(100 * 1024),
  })
  .strict();

const tlsSchema = z
  .object({
    /** PEM files; when both are empty a self-signed certificate is generated under data_dir/tls. */
    cert: z.string().default(''),
    key: z.string().default(''),
    /**
     * Who does implicit TLS (imaps, pop3s, submissions): "native" is the addon in native/tls-front
     * (OpenSSL in one native thread; ~9 kB less per idle connection), "node" is Node's
     * TLSSocket, "auto" the native one when it was built at install time, else Node's.
     */
    engine: z.enum(['auto', 'native', 'node']).default('auto'),
    /** Seconds a client has to finish its TLS handshake (0: no limit). */
    handshake_timeout: z.number().int().min(0).max(3600).default(30),
  })
  .strict();

const smtpSchema = z
  .object({
    /** Bytes; the product's limit is 201 MB (210,763,776 bytes). */
    max_message_size: z.number().int().positive().default(210_763_776),
    max_recipients: z.number().int().positive().default(100),
    /** Hops after which a message is considered looping. */
    max_received_headers: z.number().int().positive().default(50),
    /** Relay all outbound mail through this host ("host:port"); empty = direct MX delivery. */
    smarthost: z.string().default(''),
    smarthost_user: z.string().default(''),
    smarthost_password: z.string().default(''),
    /** Seconds the outbound queue keeps retrying before bouncing. */
    queue_lifetime: z
      .number()
      .int()
      .positive()
      .default(5 * 24 * 3600),
    /** Seconds after which the sender gets a delay notice. */
    delay_notice_after: z
      .number()
      .int()
      .positive()
      .default(4 * 3600),
    /** Port used for outbound delivery to MX hosts (25 in production; tests point it elsewhere). */
    outbound_port: port.default(25),
    /** Secret for SRS (forwarding); generated into data_dir when empty. */
    srs_secret: z.string().default(''),
  })
  .strict();

const dnsSchema = z
  .object({
    /** Resolvers as "ip" or "ip:port"; empty = the system's. */
    servers: z.array(z.string()).default([]),
  })
  .strict();

const limitsSchema = z
  .object({
    connections_per_ip: z.number().int().positive().default(50),
    connections_per_user: z.number().int().positive().default(50),
    /** Seconds of silence after which a session is closed (IMAP IDLE has its own 30 minutes). */
    idle_timeout: z.number().int().positive().default(300),
  })
  .strict();

const authSchema = z
  .object({
    /**
     * Seconds a verified password is trusted for the next logins of the same address (no scrypt
     * again; src/core/security/verified-logins.ts). 0: every login runs scrypt.
     */
    verified_login_cache: z.number().int().min(0).max(86_400).default(600),
  })
  .strict();

const logSchema = z
  .object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Days the per-address mail log is kept. */
    mail_log_retention_days: z.number().int().positive().default(20),
  })
  .strict();

export const configSchema = z
  .object({
    hostname: z.string().min(1).default('localhost'),
    data_dir: z.string().min(1).default('./data'),
    /** On a first start with an empty data_dir, create demo.test with a demo mailbox (development). */
    create_demo: z.boolean().default(false),
    /**
     * Serving processes. 1: one process does everything. N > 1: a primary and N workers sharing
     * the listening sockets (one JavaScript thread per core). 0: one worker per CPU core.
     */
    workers: z.number().int().min(0).max(256).default(1),
    listen: listenSchema.default(listenSchema.parse({})),
    store: storeSchema.default(storeSchema.parse({})),
    tls: tlsSchema.default(tlsSchema.parse({})),
    smtp: smtpSchema.default(smtpSchema.parse({})),
    dns: dnsSchema.default(dnsSchema.parse({})),
    limits: limitsSchema.default(limitsSchema.parse({})),
    auth: authSchema.default(authSchema.parse({})),
    log: logSchema.default(logSchema.parse({})),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ListenConfig = Config['listen'];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses TOML text; relative paths (data_dir, tls files) are taken relative to `baseDir`. */
export function parseConfig(text: string, baseDir: string): Config {
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (e) {
    throw new ConfigError(`config: not valid TOML: ${(e as Error).message.split('\n')[0]}`);
  }
  const r = configSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const path = [...issue.path, ...(keys.length ? [keys[0]] : [])].join('.');
    const what = issue.code === 'unrecognized_keys' ? 'unknown key' : issue.message;
    throw new ConfigError(`config: ${path || '(top level)'}: ${what}`);
  }
  const c = r.data;
  c.data_dir = resolve(baseDir, c.data_dir);
  if (c.tls.cert) c.tls.cert = resolve(baseDir, c.tls.cert);
  if (c.tls.key) c.tls.key = resolve(baseDir, c.tls.key);
  if ((c.tls.cert === '') !== (c.tls.key === ''))
    throw new ConfigError('config: tls: set both cert and key, or neither');
  if (c.store.kind === 'postgres' && !c.store.url)
    throw new ConfigError('config: store.url: required for postgres');
  return c;
}

export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(
      `config: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  return parseConfig(text, dirname(resolve(file)));
}
