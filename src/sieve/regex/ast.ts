/** Syntax tree of a POSIX extended regular expression (RFC 5229 `:regex`). */
import type { CharSet } from './charset.js';

export type RegexNode =
  | { readonly t: 'empty' }
  /** One code point, already case-folded when the expression is caseless. */
  | { readonly t: 'char'; readonly c: number }
  | { readonly t: 'any' }
  | { readonly t: 'set'; readonly set: CharSet }
  | { readonly t: 'bol' }
  | { readonly t: 'eol' }
  /** Capture group `index` (1-based, numbered by opening parenthesis). */
  | { readonly t: 'group'; readonly index: number; readonly body: RegexNode }
  | { readonly t: 'cat'; readonly items: readonly RegexNode[] }
  | { readonly t: 'alt'; readonly items: readonly RegexNode[] }
  /** `max` -1 = unbounded; `greedy` false for the lazy `*?` forms the old RegExp translation had. */
  | {
      readonly t: 'rep';
      readonly body: RegexNode;
      readonly min: number;
      readonly max: number;
      readonly greedy: boolean;
    };

export interface ParsedRegex {
  readonly root: RegexNode;
  /** Number of capture groups. */
  readonly groups: number;
}
