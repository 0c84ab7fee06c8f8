// A first start with an empty data directory: the optional demo mailbox (development).
import { existsSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { addAddress, addDomain } from '../core/directory/admin.js';
import type { Core } from '../core/context.js';

export function isEmptyDir(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}

export async function createDemo(core: Core): Promise<{ address: string; password: string }> {
  const domain = 'demo.test';
  const password = randomBytes(9).toString('base64url');
  await addDomain(core, domain);
  await addAddress(core, `demo@${domain}`, { password, displayName: 'Demo User' });
  return { address: `demo@${domain}`, password };
}
