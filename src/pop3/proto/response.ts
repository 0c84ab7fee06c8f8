// Server responses: single-line status indicators (RFC 1939 §3) with the extended response codes of
// RFC 2449 §8 (RESP-CODES) and RFC 3206 (AUTH, SYS/TEMP, SYS/PERM), and multi-line responses whose
// lines are byte-stuffed and end with a lone "." (RFC 1939 §3).

/** Response codes we send: RFC 2449 §8.1 (IN-USE, LOGIN-DELAY) and RFC 3206 (SYS/*, AUTH). */
export type Pop3RespCode = 'IN-USE' | 'LOGIN-DELAY' | 'SYS/TEMP' | 'SYS/PERM' | 'AUTH';

/** Free text must not break the line: control characters become spaces. */
function clean(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, ' ');
}

export function okLine(text: string): string {
  return text ? `+OK ${clean(text)}\r\n` : '+OK\r\n';
}

export function errLine(text: string, code?: Pop3RespCode): string {
  const c = code ? `[${code}] ` : '';
  return `-ERR ${c}${clean(text)}\r\n`;
}

/** A SASL continuation (RFC 5034 §4): "+ " and a base64 challenge, empty for PLAIN. */
export function continuationLine(challenge = ''): string {
  return `+ ${challenge}\r\n`;
}

/**
 * A multi-line response made of short text lines (CAPA, LIST, UIDL): "+OK", the lines with any
 * leading "." doubled, then the terminating ".".
 */
export function multiLine(first: string, lines: readonly string[]): string {
  let out = okLine(first);
  for (const l of lines) out += (l.startsWith('.') ? '.' : '') + clean(l) + '\r\n';
  return out + '.\r\n';
}
