// POP3 command lines (RFC 1939 §3): a case-insensitive keyword of three or four characters, then
// arguments separated by single spaces. Parsing gives a value, never an exception.

export type Pop3Verb =
  | 'USER'
  | 'PASS'
  | 'AUTH'
  | 'STLS'
  | 'CAPA'
  | 'QUIT'
  | 'STAT'
  | 'LIST'
  | 'UIDL'
  | 'RETR'
  | 'TOP'
  | 'DELE'
  | 'NOOP'
  | 'RSET';

export const POP3_VERBS: readonly Pop3Verb[] = [
  'USER',
  'PASS',
  'AUTH',
  'STLS',
  'CAPA',
  'QUIT',
  'STAT',
  'LIST',
  'UIDL',
  'RETR',
  'TOP',
  'DELE',
  'NOOP',
  'RSET',
];

export type ParsedCommand =
  | { kind: 'command'; verb: Pop3Verb; args: string[] }
  /** A well-formed keyword we do not implement (APOP, XTND, ...). */
  | { kind: 'unknown'; keyword: string }
  | { kind: 'error'; text: string };

/** RFC 2449 §4: a command line is at most 255 octets with its CRLF. */
export const MAX_COMMAND_LINE = 255;
/** RFC 1939 §3: each argument may be up to 40 characters long. */
export const MAX_ARG_LENGTH = 40;

const KEYWORD = /^[A-Za-z]{3,4}$/;

export function parseCommand(line: string): ParsedCommand {
  if (line.length === 0) return { kind: 'error', text: 'Empty command' };
  const sp = line.indexOf(' ');
  const keyword = sp < 0 ? line : line.slice(0, sp);
  if (!KEYWORD.test(keyword)) return { kind: 'error', text: 'Malformed command' };
  const verb = keyword.toUpperCase();
  if (!(POP3_VERBS as readonly string[]).includes(verb)) return { kind: 'unknown', keyword: verb };
  const rest = sp < 0 ? '' : line.slice(sp + 1);
  if (sp >= 0 && rest.length === 0) return { kind: 'error', text: 'Trailing space after command' };
  if (verb === 'PASS') {
    // RFC 1939 §7: PASS has exactly one argument, so spaces belong to the password.
    return { kind: 'command', verb, args: sp < 0 ? [] : [rest] };
  }
  const args = sp < 0 ? [] : rest.split(' ');
  if (args.some((a) => a.length === 0))
    return { kind: 'error', text: 'Arguments are separated by one space' };
  // USER takes an address, which can be longer than 40 characters; AUTH's initial response too.
  if (verb !== 'USER' && verb !== 'AUTH' && args.some((a) => a.length > MAX_ARG_LENGTH))
    return { kind: 'error', text: 'Argument too long' };
  return { kind: 'command', verb: verb as Pop3Verb, args };
}

/** A message number or line count: plain decimal digits, no sign, no leading '+' (RFC 1939 §5). */
export function parseNumber(arg: string | undefined): number | undefined {
  if (arg === undefined || !/^[0-9]{1,10}$/.test(arg)) return undefined;
  const n = Number(arg);
  return Number.isSafeInteger(n) ? n : undefined;
}
