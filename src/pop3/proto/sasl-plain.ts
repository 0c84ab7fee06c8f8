// The PLAIN SASL mechanism's one client message (RFC 4616 §2): [authzid] NUL authcid NUL passwd,
// base64-encoded on the wire (RFC 5034 §4).

export interface PlainCredentials {
  authzid: string;
  authcid: string;
  password: string;
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64 (RFC 4648 §4, no whitespace); undefined for anything else. */
export function decodeBase64(text: string): Buffer | undefined {
  if (!BASE64.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

export function decodePlain(response: string): PlainCredentials | undefined {
  const bytes = decodeBase64(response);
  if (!bytes) return undefined;
  const first = bytes.indexOf(0);
  const second = first < 0 ? -1 : bytes.indexOf(0, first + 1);
  if (first < 0 || second < 0 || bytes.indexOf(0, second + 1) >= 0) return undefined;
  const authcid = bytes.subarray(first + 1, second).toString('utf8');
  const password = bytes.subarray(second + 1).toString('utf8');
  if (!authcid || !password) return undefined;
  return { authzid: bytes.subarray(0, first).toString('utf8'), authcid, password };
}
