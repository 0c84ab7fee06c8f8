/**
 * RFC 5322 address-list parsing (§3.4): mailboxes, groups, angle addresses with
 * obsolete routes, comments and RFC 2047-encoded display names. It never throws; an
 * entry it cannot make sense of is returned with `valid: false`.
 */
import { decodeEncodedWords } from './encoded-words.js';

export interface MailboxAddress {
  /** Decoded display name ('' when absent). */
  readonly name: string;
  /** Normalised addr-spec: local part quoted only when it must be, e.g. `"a b"@x.example`. */
  readonly address: string;
  /** Local part without quoting. */
  readonly local: string;
  readonly domain: string;
  /** Name of the enclosing group, if any. */
  readonly group?: string;
  /** False when the entry is not a syntactically valid addr-spec. */
  readonly valid: boolean;
}

export type AddressListItem =
  | ({ readonly kind: 'mailbox' } & MailboxAddress)
  | { readonly kind: 'group'; readonly name: string; readonly members: MailboxAddress[] };

type Tok =
  | { t: 'atom'; v: string }
  | { t: 'quoted'; v: string }
  | { t: 'literal'; v: string }
  | { t: 'comment'; v: string }
  | { t: 'special'; v: string }
  | { t: 'ws' };

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      while (i < s.length && /[ \t\r\n]/.test(s[i]!)) i++;
      out.push({ t: 'ws' });
    } else if (c === '"') {
      let v = '';
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        if (s[i] !== '\r' && s[i] !== '\n') v += s[i];
        i++;
      }
      i++;
      out.push({ t: 'quoted', v });
    } else if (c === '(') {
      let depth = 0;
      let v = '';
      for (; i < s.length; i++) {
        const d = s[i]!;
        if (d === '\\') {
          v += s[++i] ?? '';
          continue;
        }
        if (d === '(' && depth++ === 0) continue;
        if (d === ')' && --depth === 0) {
          i++;
          break;
        }
        v += d;
      }
      out.push({ t: 'comment', v });
    } else if (c === '[') {
      const j = s.indexOf(']', i);
      const end = j < 0 ? s.length : j + 1;
      out.push({ t: 'literal', v: s.slice(i, end) });
      i = end;
    } else if ('<>@,;:.'.includes(c)) {
      out.push({ t: 'special', v: c });
      i++;
    } else {
      let j = i;
      while (j < s.length && !/[ \t\r\n"([<>@,;:.)\]]/.test(s[j]!)) j++;
      if (j === i) j++; // a lone ')' or ']'
      out.push({ t: 'atom', v: s.slice(i, j) });
      i = j;
    }
  }
  return out;
}

const DOT_ATOM =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\x80-\uffff-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\x80-\uffff-]+)*$/;

/** Quote a local part when it is not a dot-atom. */
export function quoteLocalPart(local: string): string {
  return DOT_ATOM.test(local) ? local : `"${local.replace(/(["\\])/g, '\\$1')}"`;
}

/** Parse a bare addr-spec from tokens; returns null when it is not one. */
function addrSpec(toks: Tok[]): { local: string; domain: string } | null {
  const t = toks.filter((x) => x.t !== 'ws' && x.t !== 'comment');
  const at = t.findIndex((x) => x.t === 'special' && x.v === '@');
  if (at <= 0 || at === t.length - 1) return null;
  let local = '';
  let expectWord = true;
  for (const x of t.slice(0, at)) {
    if (expectWord && (x.t === 'atom' || x.t === 'quoted')) local += x.v;
    else if (!expectWord && x.t === 'special' && x.v === '.') local += '.';
    else return null;
    expectWord = !expectWord;
  }
  if (expectWord) return null;
  let domain = '';
  const d = t.slice(at + 1);
  if (d.length === 1 && d[0]!.t === 'literal') return { local, domain: d[0]!.v };
  expectWord = true;
  for (const x of d) {
    if (expectWord && x.t === 'atom') domain += x.v;
    else if (!expectWord && x.t === 'special' && x.v === '.') domain += '.';
    else return null;
    expectWord = !expectWord;
  }
  if (expectWord) return null;
  return { local, domain };
}

function phraseOf(toks: Tok[]): string {
  const words: string[] = [];
  let raw = '';
  for (const x of toks) {
    if (x.t === 'atom' || x.t === 'literal') raw += x.v;
    else if (x.t === 'quoted') raw += x.v;
    else if (x.t === 'special') raw += x.v;
    else if (x.t === 'ws') raw += ' ';
  }
  words.push(raw.trim());
  return decodeEncodedWords(words.join(' ')).trim();
}

function commentName(toks: Tok[]): string {
  const c = toks.find((x) => x.t === 'comment');
  return c && c.t === 'comment' ? decodeEncodedWords(c.v).trim() : '';
}

function mailbox(toks: Tok[], group: string | undefined): MailboxAddress | null {
  const meaningful = toks.filter((x) => x.t !== 'ws' && x.t !== 'comment');
  if (meaningful.length === 0) return null;
  const lt = toks.findIndex((x) => x.t === 'special' && x.v === '<');
  const base = group === undefined ? {} : { group };
  if (lt >= 0) {
    let gt = toks.findIndex((x, k) => k > lt && x.t === 'special' && x.v === '>');
    if (gt < 0) gt = toks.length;
    let inner = toks.slice(lt + 1, gt);
    // Obsolete source route: "<@a,@b:user@host>".
    const colon = inner.findIndex((x) => x.t === 'special' && x.v === ':');
    if (colon >= 0) inner = inner.slice(colon + 1);
    const spec = addrSpec(inner);
    const name = phraseOf(toks.slice(0, lt)) || commentName(toks);
    if (!spec) {
      const text = inner
        .map((x) => (x.t === 'ws' ? ' ' : x.t === 'comment' ? '' : x.t === 'quoted' ? `"${x.v}"` : x.v))
        .join('')
        .trim();
      return { ...base, name, address: text, local: '', domain: '', valid: false };
    }
    return {
      ...base,
      name,
      address: `${quoteLocalPart(spec.local)}@${spec.domain}`,
      local: spec.local,
      domain: spec.domain,
      valid: true,
    };
  }
  const spec = addrSpec(toks);
  if (!spec) {
    const text = toks
      .map((x) => (x.t === 'ws' ? ' ' : x.t === 'comment' ? '' : x.t === 'quoted' ? `"${x.v}"` : x.v))
      .join('')
      .trim();
    return { ...base, name: '', address: text, local: '', domain: '', valid: false };
  }
  return {
    ...base,
    name: commentName(toks),
    address: `${quoteLocalPart(spec.local)}@${spec.domain}`,
    local: spec.local,
    domain: spec.domain,
    valid: true,
  };
}

/** Parse an address-list header value. */
export function parseAddressList(value: string): AddressListItem[] {
  const toks = tokenize(value);
  const out: AddressListItem[] = [];
  let cur: Tok[] = [];
  let group: { name: string; members: MailboxAddress[] } | null = null;
  let inAngle = false;
  const flush = (): void => {
    const m = mailbox(cur, group?.name);
    cur = [];
    if (!m) return;
    if (group) group.members.push(m);
    else out.push({ kind: 'mailbox', ...m });
  };
  for (const tok of toks) {
    if (tok.t === 'special') {
      if (tok.v === '<') inAngle = true;
      else if (tok.v === '>') inAngle = false;
      else if (!inAngle && tok.v === ':' && !group) {
        group = { name: phraseOf(cur), members: [] };
        cur = [];
        continue;
      } else if (!inAngle && tok.v === ',') {
        flush();
        continue;
      } else if (!inAngle && tok.v === ';' && group) {
        flush();
        out.push({ kind: 'group', name: group.name, members: group.members });
        group = null;
        continue;
      }
    }
    cur.push(tok);
  }
  flush();
  if (group) out.push({ kind: 'group', name: group.name, members: group.members });
  return out;
}

/** All mailboxes of a parsed list, group members included, in order. */
export function flattenAddresses(items: readonly AddressListItem[]): MailboxAddress[] {
  const out: MailboxAddress[] = [];
  for (const it of items) {
    if (it.kind === 'group') out.push(...it.members);
    else out.push(it);
  }
  return out;
}

/** Parse a single addr-spec such as an SMTP path ("<a@b>" or "a@b"); null when invalid. */
export function parseAddrSpec(value: string): { local: string; domain: string; address: string } | null {
  let v = value.trim();
  if (v.startsWith('<') && v.endsWith('>')) v = v.slice(1, -1);
  const spec = addrSpec(tokenize(v));
  if (!spec) return null;
  return { ...spec, address: `${quoteLocalPart(spec.local)}@${spec.domain}` };
}

const SMTP_DOMAIN = /^(?:[A-Za-z0-9_\-\u0080-\uffff]+(?:\.[A-Za-z0-9_\-\u0080-\uffff]+)*|\[[^[\]\\]*\])$/;

/**
 * An SMTP path (RFC 5321 §4.1.2, `MAIL FROM`/`RCPT TO` argument) the lenient way
 * Pigeonhole reads envelopes: angle brackets optional, source routes
 * (`@a.example,@b.example:`) dropped, dots anywhere in the local part (seen in Japanese
 * mobile addresses), `_` and leading/trailing `-` in domain labels, UTF-8 allowed, and a
 * bare local part (`MAILER-DAEMON`). Returns `null` for the null path (`""`, `<>`) and
 * `'invalid'` when the text is not a path.
 */
export function parseSmtpPath(value: string): { local: string; domain: string } | null | 'invalid' {
  let v = value;
  if (v.startsWith('<')) {
    if (!v.endsWith('>')) return 'invalid';
    v = v.slice(1, -1);
  }
  if (v === '') return null;
  if (v.includes('<') || v.includes('>')) return 'invalid';
  if (v.startsWith('@')) {
    const colon = v.indexOf(':');
    if (colon < 0) return 'invalid';
    for (const hop of v.slice(0, colon).split(',')) {
      if (!hop.startsWith('@') || !SMTP_DOMAIN.test(hop.slice(1))) return 'invalid';
    }
    v = v.slice(colon + 1);
  }
  let local: string;
  let rest: string;
  if (v.startsWith('"')) {
    let i = 1;
    local = '';
    for (; i < v.length && v[i] !== '"'; i++) {
      if (v[i] === '\\') i++;
      if (i < v.length) local += v[i];
    }
    if (i >= v.length) return 'invalid';
    rest = v.slice(i + 1);
  } else {
    const at = v.indexOf('@');
    local = at < 0 ? v : v.slice(0, at);
    rest = at < 0 ? '' : v.slice(at);
    if (local === '' || /[\s"(),:;<>@[\\\]\x00-\x1f\x7f]/.test(local)) return 'invalid';
  }
  if (rest === '') return { local, domain: '' };
  if (!rest.startsWith('@')) return 'invalid';
  const domain = rest.slice(1);
  if (!SMTP_DOMAIN.test(domain)) return 'invalid';
  return { local, domain };
}
