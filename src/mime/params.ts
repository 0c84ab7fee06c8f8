/**
 * Content-Type / Content-Disposition parsing with RFC 2231 parameter continuations,
 * charsets and languages, and RFC 2047 words in (non-conforming but common) quoted names.
 */
import { decodeCharset } from './charsets.js';
import { decodeEncodedWords } from './encoded-words.js';

export interface ContentType {
  /** Lower-case media type, e.g. "text". */
  readonly type: string;
  /** Lower-case subtype, e.g. "plain". */
  readonly subtype: string;
  /** Parameters with lower-case names and decoded values. */
  readonly params: Record<string, string>;
}

export interface ContentDisposition {
  /** Lower-case disposition type, e.g. "attachment". */
  readonly type: string;
  readonly params: Record<string, string>;
}

function skipCfws(s: string, i: number): number {
  for (;;) {
    while (i < s.length && /[ \t\r\n]/.test(s[i]!)) i++;
    if (s[i] !== '(') return i;
    let depth = 0;
    for (; i < s.length; i++) {
      const c = s[i];
      if (c === '\\') i++;
      else if (c === '(') depth++;
      else if (c === ')' && --depth === 0) {
        i++;
        break;
      }
    }
  }
}

function readToken(s: string, i: number): [string, number] {
  let j = i;
  while (j < s.length && !/[ \t\r\n;=()"]/.test(s[j]!)) j++;
  return [s.slice(i, j), j];
}

function readQuoted(s: string, i: number): [string, number] {
  let out = '';
  let j = i + 1;
  for (; j < s.length; j++) {
    const c = s[j]!;
    if (c === '\\' && j + 1 < s.length) out += s[++j];
    else if (c === '"') return [out, j + 1];
    else out += c;
  }
  return [out, j];
}

function pctDecode(v: string, charset: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '%' && /^[0-9a-fA-F]{2}$/.test(v.slice(i + 1, i + 3))) {
      bytes.push(parseInt(v.slice(i + 1, i + 3), 16));
      i += 2;
    } else for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
  }
  return decodeCharset(Uint8Array.from(bytes), charset || undefined);
}

/** Parse `; name=value` parameters beginning at `i`. */
export function parseParams(s: string, i = 0): Record<string, string> {
  const simple = new Map<string, string>();
  const parts = new Map<string, { n: number; v: string; ext: boolean }[]>();
  while (i < s.length) {
    i = skipCfws(s, i);
    if (s[i] === ';') {
      i++;
      continue;
    }
    if (i >= s.length) break;
    let name: string;
    [name, i] = readToken(s, i);
    if (!name) {
      i++;
      continue;
    }
    i = skipCfws(s, i);
    if (s[i] !== '=') continue;
    i = skipCfws(s, i + 1);
    let value: string;
    if (s[i] === '"') [value, i] = readQuoted(s, i);
    else {
      const start = i;
      while (i < s.length && s[i] !== ';') i++;
      value = s.slice(start, i).trim();
    }
    name = name.toLowerCase();
    const m = /^(.*?)\*(\d+)?(\*)?$/.exec(name);
    if (m && (m[2] !== undefined || m[3] !== undefined)) {
      const list = parts.get(m[1]!) ?? [];
      list.push({ n: m[2] === undefined ? 0 : Number(m[2]), v: value, ext: m[3] !== undefined });
      parts.set(m[1]!, list);
    } else if (!simple.has(name)) simple.set(name, value);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of simple) out[k] = /=\?/.test(v) ? decodeEncodedWords(v) : v;
  for (const [k, list] of parts) {
    list.sort((a, b) => a.n - b.n);
    let charset = '';
    let value = '';
    for (const [idx, p] of list.entries()) {
      let v = p.v;
      if (p.ext) {
        if (idx === 0) {
          const q = /^([^']*)'[^']*'(.*)$/s.exec(v);
          if (q) {
            charset = q[1]!;
            v = q[2]!;
          }
        }
        v = pctDecode(v, charset);
      }
      value += v;
    }
    out[k] = value;
  }
  return out;
}

/** Parse a Content-Type value; missing or invalid types default to text/plain (RFC 2045 §5.2). */
export function parseContentType(value: string | undefined, fallback = 'text/plain'): ContentType {
  const s = value ?? '';
  let i = skipCfws(s, 0);
  const [type, j] = readToken(s, i);
  i = skipCfws(s, j);
  let subtype = '';
  let slashOk = false;
  if (s[i] === '/') {
    i = skipCfws(s, i + 1);
    const [sub, k] = readToken(s, i);
    subtype = sub;
    i = k;
    slashOk = true;
  } else if (type.includes('/')) {
    const [a, b] = type.split('/', 2) as [string, string];
    return finishType(a, b, parseParams(s, i), fallback);
  }
  return finishType(type, slashOk ? subtype : '', parseParams(s, i), fallback);
}

function finishType(
  type: string,
  subtype: string,
  params: Record<string, string>,
  fallback: string,
): ContentType {
  if (!type || !subtype) {
    const [t, st] = fallback.split('/') as [string, string];
    return { type: t, subtype: st, params };
  }
  return { type: type.toLowerCase(), subtype: subtype.toLowerCase(), params };
}

export function parseContentDisposition(value: string | undefined): ContentDisposition | undefined {
  if (value === undefined) return undefined;
  const i = skipCfws(value, 0);
  const [type, j] = readToken(value, i);
  return { type: type.toLowerCase(), params: parseParams(value, j) };
}
