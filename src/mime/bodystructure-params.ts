/**
 * Content-Type / Content-Disposition parameters as IMAP BODYSTRUCTURE shows them (RFC 9051 §7.5.2
 * body-fld-param), Dovecot-compatible: names lower-cased, values unquoted, RFC 2231 continuations
 * ("name*0*=…; name*1*=…") joined but left encoded under "name*" — BODYSTRUCTURE has no way to say
 * which charset a decoded value would be in, so the client decodes it (RFC 2231 §3-§4).
 */

export interface RawParams {
  /** The value before the first ";" (e.g. "text/plain" or "attachment"), trimmed. */
  head: string;
  /** [name, value] in order of first appearance. */
  params: Array<[string, string]>;
}

function splitParams(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let depth = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoted) {
      if (c === '\\' && i + 1 < value.length) {
        cur += value[++i];
        continue;
      }
      if (c === '"') quoted = false;
      else cur += c;
      continue;
    }
    if (depth > 0) {
      if (c === '(') depth++;
      else if (c === ')') depth--;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === '(') depth++;
    else if (c === ';') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export function parseRawParams(value: string): RawParams {
  const [head = '', ...rest] = splitParams(value);
  const params: Array<[string, string]> = [];
  const joined = new Map<string, { index: number; extended: boolean; parts: Array<[number, string]> }>();
  for (const item of rest) {
    const eq = item.indexOf('=');
    if (eq <= 0) continue;
    const name = item.slice(0, eq).trim().toLowerCase();
    const v = item.slice(eq + 1).trim();
    if (!name) continue;
    const m = /^(.+?)\*(\d{1,3})(\*?)$/.exec(name);
    if (m) {
      const base = m[1]!;
      let j = joined.get(base);
      if (!j) {
        j = { index: params.length, extended: false, parts: [] };
        joined.set(base, j);
        params.push([base, '']);
      }
      if (m[3]) j.extended = true;
      j.parts.push([Number(m[2]), v]);
      continue;
    }
    if (!params.some(([n]) => n === name)) params.push([name, v]);
  }
  for (const [base, j] of joined) {
    const v = j.parts
      .sort((a, b) => a[0] - b[0])
      .map(([, x]) => x)
      .join('');
    params[j.index] = [j.extended ? `${base}*` : base, v];
  }
  return { head: head.trim(), params };
}
