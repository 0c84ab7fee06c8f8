// `mailstead serve`: the composition root. Config -> lock -> store -> core -> every enabled
// listener; a banner; SIGTERM/SIGINT drain the sessions and exit 0.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Config } from '../server/config.js';
import { createLogger } from '../server/logger.js';
import { lockDataDir } from '../server/lock.js';
import { loadTls } from '../server/tls.js';
import { startListeners, type ListenerSpec, type TlsMode } from '../server/listener.js';
import { createHttpService } from '../http/server.js';
import { addAddress, addDomain } from '../core/directory/admin.js';
import { purgeMailLog } from '../core/maillog/mail-log.js';
import type { Core } from '../core/context.js';
import { openCore } from './compose.js';
import { protocolHandlers } from './protocols.js';

export const VERSION: string = (() => {
  try {
    return (
      JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
        version: string;
      }
    ).version;
  } catch {
    return '0.0.0';
  }
})();

const SERVICES: Array<{ key: keyof Config['listen']; tls: TlsMode; label: string }> = [
  { key: 'smtp', tls: 'starttls', label: 'SMTP (MX, STARTTLS)' },
  { key: 'submission', tls: 'starttls', label: 'Submission (STARTTLS)' },
  { key: 'submissions', tls: 'implicit', label: 'Submission (TLS)' },
  { key: 'imap', tls: 'starttls', label: 'IMAP (STARTTLS)' },
  { key: 'imaps', tls: 'implicit', label: 'IMAP (TLS)' },
  { key: 'pop3', tls: 'starttls', label: 'POP3 (STLS)' },
  { key: 'pop3s', tls: 'implicit', label: 'POP3 (TLS)' },
  { key: 'managesieve', tls: 'starttls', label: 'ManageSieve (STARTTLS)' },
  { key: 'http', tls: 'none', label: 'Web' },
];

function isEmptyDir(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}

async function createDemo(core: Core): Promise<{ address: string; password: string }> {
  const domain = 'demo.test';
  const password = randomBytes(9).toString('base64url');
  await addDomain(core, domain);
  await addAddress(core, `demo@${domain}`, { password, displayName: 'Demo User' });
  return { address: `demo@${domain}`, password };
}

export async function serve(config: Config): Promise<number> {
  const log = createLogger(config.log.level);
  const firstStart = isEmptyDir(config.data_dir);
  const unlock = lockDataDir(config.data_dir);
  let core: Core | undefined;
  try {
    core = await openCore(config, log, { server: true });
    const tls = await loadTls({
      cert: config.tls.cert,
      key: config.tls.key,
      dataDir: config.data_dir,
      hostname: config.hostname,
    });
    const startedAt = Date.now();
    const http = createHttpService(core, { version: VERSION, startedAt });
    const protocols = await protocolHandlers(core, config, tls);

    const specs: ListenerSpec[] = [];
    for (const s of SERVICES) {
      const port = config.listen[s.key];
      if (typeof port !== 'number' || port === 0) continue;
      const handler = s.key === 'http' ? http.handler : protocols.handlers[s.key];
      if (!handler) {
        log.warn({ service: s.key }, 'this service is not available in this build yet; listener not started');
        continue;
      }
      specs.push({ name: s.key, port, tls: s.tls, handler });
    }
    const listeners = await startListeners(specs, {
      bind: config.listen.bind,
      tls: () => tls.context,
      log,
      maxConnectionsPerIp: config.limits.connections_per_ip,
      proxyProtocol: config.listen.proxy_protocol,
    });

    const demo = firstStart && config.create_demo ? await createDemo(core) : undefined;
    const lines = [
      `Mailstead ${VERSION} serving ${config.hostname} (store: ${config.store.kind}, data: ${config.data_dir})`,
    ];
    for (const s of SERVICES) {
      const p = listeners.ports[s.key];
      if (p === undefined) continue;
      if (s.key === 'http') lines.push(`  ${s.label.padEnd(24)} http://${config.listen.bind}:${p}/`);
      else lines.push(`  ${s.label.padEnd(24)} ${config.listen.bind}:${p}`);
    }
    if (tls.selfSigned)
      lines.push(`  TLS: self-signed certificate in ${config.data_dir}/tls (clients will warn)`);
    if (demo) {
      lines.push(`  Demo mailbox created: ${demo.address}  password: ${demo.password}`);
      lines.push(
        '  (shown once; change it with: bin/mailstead admin address passwd demo@demo.test --password ...)',
      );
    }
    process.stdout.write(lines.join('\n') + '\n');

    const maintenance = setInterval(() => {
      purgeMailLog(core!, config.log.mail_log_retention_days).catch((err: unknown) =>
        log.error({ err }, 'mail log purge failed'),
      );
      core!.store.kv.purgeExpired(Date.now()).catch((err: unknown) => log.error({ err }, 'kv purge failed'));
    }, 3600_000);
    maintenance.unref();

    await new Promise<void>((resolve) => {
      const stop = (sig: string) => {
        log.info({ signal: sig }, 'shutting down: draining sessions');
        resolve();
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
    clearInterval(maintenance);
    // Together: the listeners stop accepting and say BYE to IMAP/POP3/ManageSieve sessions while
    // SMTP answers 421 to its sessions and the queue worker finishes its round.
    http.close();
    await Promise.all([listeners.close(10_000), protocols.close()]);
    return 0;
  } finally {
    await core?.store.close();
    unlock();
  }
}
