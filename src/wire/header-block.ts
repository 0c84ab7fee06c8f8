// The header block of a raw RFC 5322 message as a list of (folded) fields, for the edits an MTA
// makes: prepend trace fields, drop fields (Bcc, forged Authentication-Results), read a field.
// Works on bytes (latin1 round-trips every octet), so 8-bit headers pass through untouched.

export interface HeaderField {
  /** Field name as written. */
  name: string;
  /** Lower-case name, for comparisons. */
  key: string;
  /** The whole field including folded continuation lines and the final line break. */
  raw: string;
  /** Unfolded value, leading whitespace trimmed. */
  value: string;
}

export interface SplitMessage {
  fields: HeaderField[];
  /** Everything after the blank line (or empty when there is no body). */
  body: Buffer;
  /** The line break style of the message, to keep it consistent when adding fields. */
  eol: '\r\n' | '\n';
}

export function splitMessage(raw: Buffer): SplitMessage {
  let end = -1;
  let sepLen = 0;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== 0x0a) continue;
    if (raw[i + 1] === 0x0a) {
      end = i + 1;
      sepLen = 1;
      break;
    }
    if (raw[i + 1] === 0x0d && raw[i + 2] === 0x0a) {
      end = i + 1;
      sepLen = 2;
      break;
    }
  }
  if (raw.length > 0 && (raw[0] === 0x0a || (raw[0] === 0x0d && raw[1] === 0x0a))) {
    return { fields: [], body: raw.subarray(raw[0] === 0x0a ? 1 : 2), eol: raw[0] === 0x0a ? '\n' : '\r\n' };
  }
  const headerText = (end < 0 ? raw : raw.subarray(0, end)).toString('latin1');
  const body = end < 0 ? Buffer.alloc(0) : raw.subarray(end + sepLen);
  const eol: '\r\n' | '\n' = headerText.includes('\r\n') || !headerText.includes('\n') ? '\r\n' : '\n';
  const fields: HeaderField[] = [];
  const lines = headerText.split(/(?<=\n)/);
  for (const line of lines) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && fields.length > 0) {
      const last = fields[fields.length - 1]!;
      last.raw += line;
      last.value += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      // not a header line: keep it verbatim so nothing is lost
      fields.push({ name: '', key: '', raw: line, value: line.trim() });
      continue;
    }
    const name = line.slice(0, colon).trimEnd();
    fields.push({
      name,
      key: name.toLowerCase(),
      raw: line.endsWith('\n') ? line : line + eol,
      value: line.slice(colon + 1).trim(),
    });
  }
  return { fields, body, eol };
}

export function joinMessage(m: SplitMessage): Buffer {
  return Buffer.concat([
    Buffer.from(m.fields.map((f) => f.raw).join(''), 'latin1'),
    Buffer.from(m.eol, 'latin1'),
    m.body,
  ]);
}

export function headerValues(m: SplitMessage, key: string): string[] {
  const k = key.toLowerCase();
  return m.fields.filter((f) => f.key === k).map((f) => f.value);
}

/** Builds a field from a name and an already-folded value (lines joined with CRLF + whitespace). */
export function makeField(name: string, value: string, eol: '\r\n' | '\n' = '\r\n'): HeaderField {
  const v = eol === '\n' ? value.replace(/\r\n/g, '\n') : value;
  return {
    name,
    key: name.toLowerCase(),
    raw: `${name}: ${v}${eol}`,
    value: value.replace(/\r?\n[ \t]+/g, ' '),
  };
}
