// SASL PLAIN (RFC 4616): base64 of `authzid NUL authcid NUL passwd`, each UTF-8.
export type PlainCredentials = { authzid: string; username: string; password: string };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function decodeSaslPlain(b64: string): PlainCredentials | null {
  const clean = b64.trim();
  if (!BASE64.test(clean) || clean.length % 4 === 1) return null;
  const parts = Buffer.from(clean, 'base64').toString('utf8').split('\0');
  if (parts.length !== 3) return null;
  const [authzid, username, password] = parts as [string, string, string];
  if (username === '' || password === '') return null;
  return { authzid, username, password };
}
