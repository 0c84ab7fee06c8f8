/**
 * Recursive-descent parser: tokens → syntax tree, a port of Pigeonhole's parser including its
 * error recovery: after a syntax error it skips to the end of the broken structure (string list,
 * test list, command or block, respecting nesting) and goes on, so one run reports every error
 * Pigeonhole would. Semantic checks live in the compiler.
 */
import type { Argument, CommandNode, StringLit } from './ast.js';
import { describeToken, Scanner, type LexReport, type Token, type TokenType } from './lexer.js';

export interface ParseLimits {
  /** Block nesting and test nesting (Pigeonhole: 32 each). */
  readonly maxNesting: number;
  readonly maxStringLength?: number;
  /** Arguments per command (Pigeonhole: 32). */
  readonly maxArguments?: number;
}

export interface ParseResult {
  readonly commands: CommandNode[];
  /** False when any lexical or syntax error was reported. */
  readonly valid: boolean;
}

interface MutableNode {
  name: string;
  args: Argument[];
  tests: MutableNode[];
  testList: boolean;
  block: MutableNode[] | null;
  line: number;
  column: number;
}

// Grammatical priorities of the recovery tokens (Pigeonhole's sieve_grammatical_prio).
const PRIO: Partial<Record<TokenType, number>> = {
  '{': 3,
  '}': 3,
  ';': 2,
  '(': 1,
  ')': 1,
  '[': 0,
  ']': 0,
};
const BEGIN: readonly (TokenType | null)[] = ['[', '(', null, '{'];
const END: readonly TokenType[] = [']', ')', ';', '}'];

/**
 * Parse `src`. Errors (lexical and syntactic) go to `report`; `valid` says whether there were any.
 * Result codes follow Pigeonhole: 1 = defined state, 0 = recovery needed by the caller, -1 = fatal.
 */
export function parseSource(src: string, limits: ParseLimits, report: LexReport): ParseResult {
  let valid = true;
  const sc = new Scanner(
    src,
    (line, column, message, warning) => {
      if (!warning) valid = false;
      report(line, column, message, warning);
    },
    limits.maxStringLength,
  );
  const maxArgs = limits.maxArguments ?? 32;
  const tok = (): Token => sc.token;
  const type = (): TokenType => sc.token.type;
  const error = (message: string): void => {
    // Don't report a parse error when the lexer has complained about this token already.
    if (type() !== 'error') report(tok().line, tok().column, message);
    valid = false;
  };

  function recover(end: TokenType): number {
    const prio = PRIO[end]!;
    let nesting = 1;
    while (type() !== 'eof' && (PRIO[type()] ?? -1) <= prio) {
      if (type() === BEGIN[prio]) {
        nesting++;
        sc.next();
        continue;
      }
      if (type() === END[prio]) {
        nesting--;
        if (nesting === 0) return 1;
      }
      sc.next();
    }
    // A command may also end at the start of its block.
    if (end === ';' && type() === '{') return 1;
    return 0;
  }

  function newNode(t: Token): MutableNode {
    return {
      name: t.value.toLowerCase(),
      args: [],
      tests: [],
      testList: false,
      block: null,
      line: t.line,
      column: t.column,
    };
  }

  function lit(t: Token): StringLit {
    return { value: t.value, multiline: !!t.multiline, line: t.line, column: t.column };
  }

  function parseArguments(node: MutableNode, depth: number): number {
    let result = 1;
    let argPresent = true;
    while (argPresent && result > 0) {
      const t = tok();
      switch (t.type) {
        case '[': {
          const values: StringLit[] = [];
          sc.next();
          if (type() === 'string') {
            values.push(lit(tok()));
            sc.next();
            while (type() === ',') {
              sc.next();
              if (type() === 'string') {
                values.push(lit(tok()));
                sc.next();
              } else {
                error(`expecting string after ',' in string list, but found ${describeToken(tok())}`);
                result = recover(']');
                break;
              }
            }
          } else {
            error(`expecting string after '[' in string list, but found ${describeToken(tok())}`);
            result = recover(']');
          }
          if (type() === ']') sc.next();
          else {
            error(`expecting ',' or end of string list ']', but found ${describeToken(tok())}`);
            if ((result = recover(']')) > 0) sc.next();
          }
          node.args.push({ type: 'strings', values, list: true, line: t.line, column: t.column });
          break;
        }
        case 'string':
          node.args.push({ type: 'strings', values: [lit(t)], list: false, line: t.line, column: t.column });
          sc.next();
          break;
        case 'number':
          node.args.push({ type: 'number', value: t.num ?? 0, line: t.line, column: t.column });
          sc.next();
          break;
        case 'tag':
          node.args.push({ type: 'tag', name: t.value.toLowerCase(), line: t.line, column: t.column });
          sc.next();
          break;
        default:
          argPresent = false;
      }
      if (node.args.length > maxArgs) {
        error(`too many arguments for command '${node.name}'`);
        return 0;
      }
    }
    if (result <= 0) return result;

    if (type() === 'identifier') {
      if (depth + 1 > limits.maxNesting) {
        error(`cannot nest tests deeper than ${limits.maxNesting} levels`);
        return 0;
      }
      const test = newNode(tok());
      node.tests.push(test);
      sc.next();
      if (parseArguments(test, depth + 1) <= 0) return 0;
    } else if (type() === '(') {
      sc.next();
      if (depth + 1 > limits.maxNesting) {
        error(`cannot nest tests deeper than ${limits.maxNesting} levels`);
        result = recover(')');
        if (result > 0) sc.next();
        return result;
      }
      node.testList = true;
      if (type() === 'identifier') {
        let test = newNode(tok());
        node.tests.push(test);
        sc.next();
        if ((result = parseArguments(test, depth + 1)) > 0) {
          while (type() === ',') {
            sc.next();
            if (type() === 'identifier') {
              test = newNode(tok());
              node.tests.push(test);
              sc.next();
              if ((result = parseArguments(test, depth + 1)) <= 0) {
                if (result < 0) return result;
                result = recover(')');
                break;
              }
            } else {
              error(`expecting test identifier after ',' in test list, but found ${describeToken(tok())}`);
              result = recover(')');
              break;
            }
          }
        } else {
          if (result < 0) return result;
          result = recover(')');
        }
      } else {
        error(`expecting test identifier after '(' in test list, but found ${describeToken(tok())}`);
        result = recover(')');
      }
      if (type() === ')') sc.next();
      else {
        error(`expecting ',' or end of test list ')', but found ${describeToken(tok())}`);
        if ((result = recover(')')) > 0) sc.next();
      }
    }
    return result;
  }

  function parseCommands(block: MutableNode[], depth: number): number {
    let result = 1;
    while (result > 0 && type() === 'identifier') {
      const command = newNode(tok());
      block.push(command);
      sc.next();
      result = parseArguments(command, 1);
      if (result > 0 && type() !== ';' && type() !== '{') {
        error(
          `expected end of command ';' or the beginning of a compound block '{', but found ${describeToken(tok())}`,
        );
        result = 0;
      }
      if (result === 0) result = recover(';');
      if (result <= 0) return result;
      if (type() === ';') sc.next();
      else {
        // '{'
        sc.next();
        if (depth + 1 > limits.maxNesting) {
          error(`cannot nest command blocks deeper than ${limits.maxNesting} levels`);
          result = recover('}');
          if (result > 0) sc.next();
          continue;
        }
        command.block = [];
        if ((result = parseCommands(command.block, depth + 1)) > 0) {
          if (type() !== '}') {
            error(`expected end of compound block '}', but found ${describeToken(tok())}`);
            result = recover('}');
          } else sc.next();
        } else {
          if (result < 0) return result;
          if ((result = recover('}')) > 0) sc.next();
        }
      }
    }
    return result;
  }

  sc.next();
  const root: MutableNode[] = [];
  if (parseCommands(root, 1) > 0 && valid) {
    if (type() !== 'eof') error(`unexpected ${describeToken(tok())} found at (the presumed) end of file`);
  } else valid = false;
  return { commands: root as CommandNode[], valid };
}
