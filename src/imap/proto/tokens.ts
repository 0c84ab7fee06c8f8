// The values a command line is made of, before any command-specific meaning is given to them.

/** An atom as written; bracketed sections keep their inner spaces ("BODY[HEADER.FIELDS (A B)]<0.10>"). */
export interface AtomToken {
  kind: 'atom';
  value: string;
}

/** A quoted string or a literal; `literal8` marks "~{n}" (RFC 3516). */
export interface StringToken {
  kind: 'string';
  value: Buffer;
  literal: boolean;
  literal8?: boolean;
}

export interface ListToken {
  kind: 'list';
  items: Token[];
}

export type Token = AtomToken | StringToken | ListToken;

export function isAtom(t: Token | undefined, value?: string): t is AtomToken {
  return t !== undefined && t.kind === 'atom' && (value === undefined || t.value.toUpperCase() === value);
}

export interface ImapRequest {
  tag: string;
  /** Upper-cased command name ("FETCH", "UID" — the UID sub-command is the first argument). */
  command: string;
  args: Token[];
}

/** tag = 1*<any ASTRING-CHAR except "+"> (RFC 9051 §9). */
export function isValidTag(tag: string): boolean {
  return (
    tag.length > 0 && tag.length <= 64 && /^[\x21\x23\x24\x26\x27\x2c-\x5b\x5d-\x7a\x7c\x7e]+$/.test(tag)
  );
}
