// TLS material: the configured certificate, or a self-signed one generated on first start so that
// `npm start` works on a fresh machine with implicit TLS and STARTTLS everywhere.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';

export interface TlsMaterial {
  cert: string;
  key: string;
  context: SecureContext;
  selfSigned: boolean;
}

export async function loadTls(opts: {
  cert: string;
  key: string;
  dataDir: string;
  hostname: string;
}): Promise<TlsMaterial> {
  if (opts.cert && opts.key) {
    const cert = readFileSync(opts.cert, 'utf8');
    const key = readFileSync(opts.key, 'utf8');
    return { cert, key, context: createSecureContext({ cert, key }), selfSigned: false };
  }
  const dir = join(opts.dataDir, 'tls');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const notAfter = new Date(Date.now() + 825 * 24 * 3600 * 1000);
    // Loaded only to make the certificate: its X.509 stack is ~5 MB of heap the server need not keep.
    const { generate } = await import('selfsigned');
    const pems = await generate([{ name: 'commonName', value: opts.hostname }], {
      keySize: 2048,
      algorithm: 'sha256',
      notAfterDate: notAfter,
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: opts.hostname },
            { type: 2, value: 'localhost' },
            { type: 7, ip: '127.0.0.1' },
          ],
        },
      ],
    });
    writeFileSync(keyFile, pems.private, { mode: 0o600 });
    writeFileSync(certFile, pems.cert, { mode: 0o644 });
  }
  const cert = readFileSync(certFile, 'utf8');
  const key = readFileSync(keyFile, 'utf8');
  return { cert, key, context: createSecureContext({ cert, key }), selfSigned: true };
}
