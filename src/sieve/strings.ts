/**
 * Compile-time string processing: encoded-character (RFC 5228 §2.4.2.4) decoding and
 * splitting into variable templates (RFC 5229 §3). Both happen in one left-to-right
 * pass, so text produced by `${hex:…}` is never re-read as a variable reference.
 */
import type { CStr, TemplatePart } from './types.js';

export interface StringCompileOptions {
  readonly encodedCharacter: boolean;
  readonly variables: boolean;
  /** Reports an invalid namespace/variable; returns false to keep the text literal. */
  checkVariable?(name: string): string | undefined;
}

const utf8 = new TextDecoder('utf-8');

function decodeHex(body: string): string | null {
  const words = body.trim() === '' ? [] : body.trim().split(/[ \t\r\n]+/);
  if (!/^[ \t\r\n]*([0-9a-fA-F]{1,2}[ \t\r\n]*)*$/.test(body)) return null;
  return utf8.decode(Uint8Array.from(words.map((w) => parseInt(w, 16))));
}

export class EncodedCharacterError extends Error {}

function decodeUnicode(body: string): string | null {
  if (!/^[ \t\r\n]*([0-9a-fA-F]+[ \t\r\n]*)*$/.test(body)) return null;
  const words = body.trim() === '' ? [] : body.trim().split(/[ \t\r\n]+/);
  let out = '';
  for (const w of words) {
    const cp = parseInt(w, 16);
    if (w.replace(/^0+/, '').length > 6 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      throw new EncodedCharacterError(`invalid unicode character 0x${w} in encoded character substitution`);
    out += String.fromCodePoint(cp);
  }
  return out;
}

/** Compile one string literal. */
export function compileString(s: string, opts: StringCompileOptions, errors: string[] = []): CStr {
  if (!s.includes('${') || (!opts.encodedCharacter && !opts.variables)) return s;
  // Encoded characters are decoded first; the result is then read for variables
  // (RFC 5229 §3: "dear${hex:20 24 7b 4e}ame}" references ${Name}).
  if (opts.encodedCharacter) {
    s = decodeEncodedCharacters(s, errors);
    if (!opts.variables || !s.includes('${')) return s;
  }
  return templateOf(s, opts, errors);
}

/** Replace every valid ${hex:…} / ${unicode:…} in a string. */
export function decodeEncodedCharacters(s: string, errors: string[] = []): string {
  return s.replace(/\$\{(hex|unicode):([^}$]*)\}/gi, (all, kind: string, body: string) => {
    if (body.trim() === '') return all;
    try {
      const d = kind.toLowerCase() === 'hex' ? decodeHex(body) : decodeUnicode(body);
      return d ?? all;
    } catch (e) {
      errors.push((e as Error).message);
      return all;
    }
  });
}

function templateOf(s: string, opts: StringCompileOptions, errors: string[]): CStr {
  const parts: TemplatePart[] = [];
  let lit = '';
  let i = 0;
  while (i < s.length) {
    const j = s.indexOf('${', i);
    if (j < 0) {
      lit += s.slice(i);
      break;
    }
    lit += s.slice(i, j);
    const close = s.indexOf('}', j + 2);
    const inner = close < 0 ? null : s.slice(j + 2, close);
    if (inner !== null && opts.variables) {
      if (/^[0-9]+$/.test(inner)) {
        // Pigeonhole keeps 32 match values (SIEVE_MAX_MATCH_VALUES).
        if (parseInt(inner, 10) > 32) errors.push(`match value index \${${inner}} exceeds the maximum of 32`);
        if (lit) parts.push(lit);
        lit = '';
        parts.push({ m: parseInt(inner, 10) });
        i = close + 1;
        continue;
      }
      if (/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(inner)) {
        const err = opts.checkVariable?.(inner.toLowerCase());
        if (err) errors.push(err);
        if (lit) parts.push(lit);
        lit = '';
        parts.push({ v: inner.toLowerCase() });
        i = close + 1;
        continue;
      }
    }
    lit += '${';
    i = j + 2;
  }
  if (lit) parts.push(lit);
  if (parts.every((p) => typeof p === 'string')) return parts.join('');
  return { t: parts };
}

/** Whether a compiled string is a plain literal. */
export function isLiteralStr(s: CStr): s is string {
  return typeof s === 'string';
}
