// The values of the ManageSieve grammar (RFC 5804 §4) a command line is made of: the command name is an
// atom, arguments are strings (quoted or literal) or numbers. Strings stay bytes here: the session
// decides where UTF-8 is required (script names, scripts) and says so with a precise NO.

export type MsArg =
  | { readonly kind: 'atom'; readonly value: string }
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'string'; readonly value: Buffer; readonly literal: boolean };

export interface MsCommand {
  /** Upper-cased command name; '' for a continuation line (SASL responses, RFC 5804 §2.1). */
  readonly name: string;
  readonly args: readonly MsArg[];
}

export function describeArg(a: MsArg): string {
  return a.kind === 'number'
    ? 'a number'
    : a.kind === 'atom'
      ? `the word ${a.value.slice(0, 20)}`
      : 'a string';
}
