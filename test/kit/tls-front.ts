// The TLS engine tests run with: the real server's `tls.engine` and the in-process listeners' front
// both follow MAILSTEAD_TEST_TLS_ENGINE ("auto" unless set, as a user's config), so the whole suite
// can be run on either engine.
import { openTlsFront, type TlsFront } from '../../src/server/tls-native.js';
import { silentLogger } from '../../src/server/logger.js';

export function testTlsEngine(): 'auto' | 'native' | 'node' {
  const e = process.env['MAILSTEAD_TEST_TLS_ENGINE'] ?? 'auto';
  if (e !== 'auto' && e !== 'native' && e !== 'node') throw new Error(`MAILSTEAD_TEST_TLS_ENGINE: ${e}?`);
  return e;
}

/** The front for an in-process listener set (null: Node's TLS). */
export function testTlsFront(material: { cert: string; key: string }): TlsFront | null {
  return openTlsFront(testTlsEngine(), material, 30_000, silentLogger());
}
