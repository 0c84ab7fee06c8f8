// Hot reads built and compiled once per engine, then run with new values. Building and compiling a
// Kysely query costs about as much as SQLite answering it, and an IMAP command makes several; the
// SQL text of a fixed-shape query never changes, only its parameters do.
//
// The query is compiled with a placeholder object for each argument; the compiled parameter list
// then says which argument goes where (and keeps constants such as `seen = 0` or a LIMIT as they were).
import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Exec } from './context.js';
import type { SqlEngine } from './engine.js';
import type { Database } from './schema.js';

const ARG = Symbol('prepared argument');
type Placeholder = { readonly [ARG]: number };
type Slot = number | { readonly value: unknown };

interface Template {
  readonly compiled: CompiledQuery;
  readonly slots: readonly Slot[];
}

export interface Prepared<A extends readonly unknown[], R> {
  /** The rows of the query for these arguments, through the caller's transaction if it has one. */
  rows(x: Exec, ...args: A): Promise<R[]>;
  /** The whole result (a write's affected-row count) on `db`: a transaction of `engine`, or its own. */
  execute(engine: SqlEngine, db: Kysely<Database>, ...args: A): Promise<QueryResult<R>>;
}

/** `build` must give the same query shape for any argument values (no IN lists, no optional parts). */
export function prepared<A extends readonly unknown[], R>(
  build: (db: Kysely<Database>, ...args: A) => Compilable<R>,
): Prepared<A, R> {
  const templates = new WeakMap<SqlEngine, Template>();
  const template = (engine: SqlEngine, arity: number): Template => {
    let t = templates.get(engine);
    if (t === undefined) {
      const placeholders = Array.from({ length: arity }, (_, i): Placeholder => ({ [ARG]: i }));
      const compiled = build(engine.db, ...(placeholders as unknown as A)).compile();
      const slots = compiled.parameters.map((p): Slot => {
        if (typeof p === 'object' && p !== null && ARG in p) return (p as Placeholder)[ARG];
        return { value: p };
      });
      t = { compiled, slots };
      templates.set(engine, t);
    }
    return t;
  };
  const bind = (engine: SqlEngine, args: A): CompiledQuery<R> => {
    const t = template(engine, args.length);
    const parameters = t.slots.map((s) => (typeof s === 'number' ? args[s] : s.value));
    return { ...(t.compiled as CompiledQuery<R>), parameters };
  };
  return {
    async rows(x, ...args) {
      const query = bind(x.engine, args);
      // Outside a transaction, an engine may answer a read at once when nothing holds its connection.
      if (x.current() === undefined) {
        const now = x.engine.readNow?.(query);
        if (now !== undefined) return now as R[];
      }
      return (await x.db().executeQuery(query)).rows;
    },
    execute(engine, db, ...args) {
      return db.executeQuery(bind(engine, args));
    },
  };
}
