/**
 * POSIX extended regular expressions (RFC 5228 regex draft, as Pigeonhole implements
 * it with regcomp) translated to JavaScript RegExp. Bracket expressions follow POSIX:
 * backslash is literal inside them and [:class:] names are supported.
 */

const CLASSES: Record<string, string> = {
  alpha: 'a-zA-Z',
  digit: '0-9',
  alnum: 'a-zA-Z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\r\\n\\v\\f',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  print: ' -~',
  graph: '!-~',
  cntrl: '\\x00-\\x1f\\x7f',
  xdigit: '0-9A-Fa-f',
};

/** Translate; throws SyntaxError for invalid expressions. */
export function translatePosixRegex(src: string): string {
  let out = '';
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) throw new SyntaxError('trailing backslash');
      // Only escapes of special characters are meaningful in POSIX ERE.
      out += /[.[\]()*+?{}|^$\\/-]/.test(n) ? `\\${n}` : /[A-Za-z0-9]/.test(n) ? n : `\\${n}`;
      i += 2;
      continue;
    }
    if (c === '[') {
      let j = i + 1;
      let cls = '[';
      if (src[j] === '^') {
        cls += '^';
        j++;
      }
      if (src[j] === ']') {
        cls += '\\]';
        j++;
      }
      for (;;) {
        if (j >= src.length) throw new SyntaxError('unterminated bracket expression');
        const d = src[j]!;
        if (d === ']') break;
        if (d === '[' && src[j + 1] === ':') {
          const e = src.indexOf(':]', j + 2);
          if (e < 0) throw new SyntaxError('bad character class');
          const name = src.slice(j + 2, e);
          const body = CLASSES[name];
          if (body === undefined) throw new SyntaxError(`unknown character class ${name}`);
          cls += body;
          j = e + 2;
          continue;
        }
        if (d === '[' && (src[j + 1] === '.' || src[j + 1] === '=')) {
          const term = `${src[j + 1]}]`;
          const e = src.indexOf(term, j + 2);
          if (e < 0) throw new SyntaxError('bad collating element');
          cls += src.slice(j + 2, e).replace(/[\\\][^-]/g, '\\$&');
          j = e + 2;
          continue;
        }
        cls += d === '\\' || d === '[' ? `\\${d}` : d;
        j++;
      }
      out += `${cls}]`;
      i = j + 1;
      continue;
    }
    if (c === '{') {
      // An interval must be well formed in ERE; JS would silently accept junk as literal.
      const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i));
      if (!m) throw new SyntaxError('invalid interval');
      out += m[0];
      i += m[0].length;
      continue;
    }
    if (c === '/') {
      out += '\\/';
      i++;
      continue;
    }
    out += c;
    i++;
  }
  // Validate (throws on unbalanced parentheses and the like).
  new RegExp(out);
  if (/(^|[^\\])\(\)/.test(out)) throw new SyntaxError('empty group');
  return out;
}

const cache = new Map<string, RegExp>();

/** Compile (cached) a POSIX ERE; `caseless` for i;ascii-casemap. */
export function posixRegex(src: string, caseless: boolean): RegExp | null {
  const key = `${caseless ? 'i' : 's'}:${src}`;
  let r = cache.get(key);
  if (r) return r;
  try {
    r = new RegExp(translatePosixRegex(src), caseless ? 'is' : 's');
  } catch {
    return null;
  }
  if (cache.size > 1000) cache.clear();
  cache.set(key, r);
  return r;
}
