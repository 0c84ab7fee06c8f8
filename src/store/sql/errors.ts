// Engine errors the domain may act on, mapped to the ports' StoreConflictError; anything else is
// passed through untouched.
import { StoreConflictError } from '../ports.js';
import { UNIQUE_KEYS } from './schema.js';

const SQLITE_UNIQUE_CODES = new Set(['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']);
const PG_UNIQUE_VIOLATION = '23505';

/** SQLite names the columns ("UNIQUE constraint failed: kv.ns, kv.key"); find the key they make. */
function sqliteConstraintName(message: string): string {
  const m = /UNIQUE constraint failed: (.+)$/.exec(message);
  if (m?.[1] === undefined) return 'unique';
  const cols = m[1].split(',').map((c) => c.trim());
  const table = cols[0]?.split('.')[0] ?? '';
  const names = cols.map((c) => c.slice(c.indexOf('.') + 1)).join(',');
  for (const [name, key] of Object.entries(UNIQUE_KEYS)) {
    if (key.table === table && key.columns.join(',') === names) return name;
  }
  return table !== '' ? `${table}_unique` : 'unique';
}

export function toStoreError(e: unknown): unknown {
  if (!(e instanceof Error) || e instanceof StoreConflictError) return e;
  const { code, constraint } = e as { code?: unknown; constraint?: unknown };
  let name: string | undefined;
  if (code === PG_UNIQUE_VIOLATION) name = typeof constraint === 'string' ? constraint : 'unique';
  else if (typeof code === 'string' && SQLITE_UNIQUE_CODES.has(code)) name = sqliteConstraintName(e.message);
  if (name === undefined) return e;
  const conflict = new StoreConflictError(`conflict on ${name}: ${e.message}`, name);
  conflict.cause = e;
  return conflict;
}

/**
 * Wraps every method of a role store so its rejections go through toStoreError. A proxy keeps the
 * mapping in one place instead of a try/catch in each of ~70 methods.
 */
export function mappingStoreErrors<T extends object>(target: T): T {
  // One wrapper per method, made on first use (a role method is looked up on every store call), and
  // keyed by the function so that a method replaced on the object is wrapped anew.
  const wrappers = new WeakMap<object, unknown>();
  return new Proxy(target, {
    get(obj, prop) {
      const value: unknown = Reflect.get(obj, prop, obj);
      if (typeof value !== 'function') return value;
      const known = wrappers.get(value);
      if (known !== undefined) return known;
      const wrapper = (...args: unknown[]): unknown => {
        try {
          const result: unknown = Reflect.apply(value, obj, args);
          return result instanceof Promise
            ? result.catch((err: unknown) => {
                throw toStoreError(err);
              })
            : result;
        } catch (err) {
          throw toStoreError(err);
        }
      };
      wrappers.set(value, wrapper);
      return wrapper;
    },
  });
}
