/** Syntax tree produced by the parser (RFC 5228 §8.2 grammar), before any semantic checks. */

export interface Position {
  readonly line: number;
  readonly column: number;
}

export interface StringLit extends Position {
  readonly value: string;
  readonly multiline: boolean;
}

export type Argument =
  | ({ readonly type: 'tag'; readonly name: string } & Position)
  | ({ readonly type: 'number'; readonly value: number } & Position)
  | ({ readonly type: 'strings'; readonly values: StringLit[]; readonly list: boolean } & Position);

export interface TestNode extends Position {
  readonly name: string;
  readonly args: Argument[];
  /** Sub-tests: for `not` one test, for `anyof`/`allof` a test list. */
  readonly tests: TestNode[];
  /** True when the tests were written as a parenthesised test-list. */
  readonly testList: boolean;
}

export interface CommandNode extends Position {
  readonly name: string;
  readonly args: Argument[];
  readonly tests: TestNode[];
  readonly testList: boolean;
  /** The block, or null when the command ended with a semicolon. */
  readonly block: CommandNode[] | null;
}
