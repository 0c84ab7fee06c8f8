// What `serve` prints when it is up: the version, one line per listener, the demo mailbox.
import { readFileSync } from 'node:fs';
import type { Config } from '../server/config.js';
import type { TlsMode } from '../server/listener.js';

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

export const SERVICES: Array<{ key: keyof Config['listen']; tls: TlsMode; label: string }> = [
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

/** The listener lines of the banner. */
export function listenerLines(config: Config, ports: Partial<Record<string, number>>): string[] {
  const lines: string[] = [];
  for (const s of SERVICES) {
    const p = ports[s.key];
    if (p === undefined) continue;
    if (s.key === 'http') lines.push(`  ${s.label.padEnd(24)} http://${config.listen.bind}:${p}/`);
    else lines.push(`  ${s.label.padEnd(24)} ${config.listen.bind}:${p}`);
  }
  return lines;
}

export function demoLines(demo: { address: string; password: string }): string[] {
  return [
    `  Demo mailbox created: ${demo.address}  password: ${demo.password}`,
    '  (shown once; change it with: bin/mailstead admin address passwd demo@demo.test --password ...)',
  ];
}
