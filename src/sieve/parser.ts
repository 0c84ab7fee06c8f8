/** Recursive-descent parser: tokens → syntax tree. Semantic checks live in the compiler. */
import type { Argument, CommandNode, StringLit, TestNode } from './ast.js';
import { SieveSyntaxError, type Token } from './lexer.js';

export interface ParseLimits {
  readonly maxNesting: number;
}

export function parse(tokens: Token[], limits: ParseLimits): CommandNode[] {
  let p = 0;
  const peek = (): Token => tokens[p]!;
  const next = (): Token => tokens[p++]!;
  const fail = (msg: string, t: Token = peek()): never => {
    throw new SieveSyntaxError(msg, t.line, t.column);
  };
  const describe = (t: Token): string =>
    t.type === 'eof'
      ? 'end of script'
      : t.type === 'identifier'
        ? `identifier '${t.value}'`
        : t.type === 'string'
          ? 'string'
          : t.type === 'number'
            ? 'number'
            : t.type === 'tag'
              ? `tag ':${t.value}'`
              : `'${t.type}'`;

  function stringList(): { values: StringLit[]; list: boolean } {
    const t = peek();
    if (t.type === 'string') {
      next();
      return {
        values: [{ value: t.value, multiline: !!t.multiline, line: t.line, column: t.column }],
        list: false,
      };
    }
    next(); // '['
    const values: StringLit[] = [];
    for (;;) {
      const s = next();
      if (s.type !== 'string') fail(`expected string in string list, found ${describe(s)}`, s);
      values.push({ value: s.value, multiline: !!s.multiline, line: s.line, column: s.column });
      const sep = next();
      if (sep.type === ']') break;
      if (sep.type !== ',') fail(`expected ',' or ']' in string list, found ${describe(sep)}`, sep);
    }
    return { values, list: true };
  }

  function args(): Argument[] {
    const out: Argument[] = [];
    for (;;) {
      const t = peek();
      if (t.type === 'tag') {
        next();
        out.push({ type: 'tag', name: t.value.toLowerCase(), line: t.line, column: t.column });
      } else if (t.type === 'number') {
        next();
        out.push({ type: 'number', value: t.num ?? 0, line: t.line, column: t.column });
      } else if (t.type === 'string' || t.type === '[') {
        out.push({ type: 'strings', ...stringList(), line: t.line, column: t.column });
      } else return out;
    }
  }

  function test(depth: number): TestNode {
    if (depth > limits.maxNesting) fail('too many nested tests');
    const t = next();
    if (t.type !== 'identifier') fail(`expected test name, found ${describe(t)}`, t);
    const a = args();
    const { tests, testList } = subTests(depth);
    return { name: t.value.toLowerCase(), args: a, tests, testList, line: t.line, column: t.column };
  }

  function subTests(depth: number): { tests: TestNode[]; testList: boolean } {
    const t = peek();
    if (t.type === 'identifier') return { tests: [test(depth + 1)], testList: false };
    if (t.type !== '(') return { tests: [], testList: false };
    next();
    const tests: TestNode[] = [];
    for (;;) {
      tests.push(test(depth + 1));
      const sep = next();
      if (sep.type === ')') break;
      if (sep.type !== ',') fail(`expected ',' or ')' in test list, found ${describe(sep)}`, sep);
    }
    return { tests, testList: true };
  }

  function command(depth: number): CommandNode {
    const t = next();
    if (t.type !== 'identifier') fail(`expected command, found ${describe(t)}`, t);
    const a = args();
    const { tests, testList } = subTests(0);
    const end = peek();
    if (end.type === ';') {
      next();
      return {
        name: t.value.toLowerCase(),
        args: a,
        tests,
        testList,
        block: null,
        line: t.line,
        column: t.column,
      };
    }
    if (end.type === '{') {
      next();
      if (depth + 1 > limits.maxNesting) fail('too many nested blocks', end);
      const block = commands(depth + 1);
      const close = next();
      if (close.type !== '}') fail(`expected '}', found ${describe(close)}`, close);
      return { name: t.value.toLowerCase(), args: a, tests, testList, block, line: t.line, column: t.column };
    }
    return fail(`missing semicolon at end of ${t.value} command, found ${describe(end)}`, end);
  }

  function commands(depth: number): CommandNode[] {
    const out: CommandNode[] = [];
    while (peek().type === 'identifier') out.push(command(depth));
    return out;
  }

  const cmds = commands(0);
  if (peek().type !== 'eof') fail(`unexpected ${describe(peek())}`);
  return cmds;
}
