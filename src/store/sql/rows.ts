// Small conversions shared by the role stores: the DDL keeps booleans as 0/1 and objects as JSON text.

export const toInt = (b: boolean): number => (b ? 1 : 0);
export const toBool = (n: number): boolean => n !== 0;

export function parseJsonObject(text: string): Record<string, unknown> {
  const v: unknown = JSON.parse(text);
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export function parseJsonStrings(text: string): string[] {
  const v: unknown = JSON.parse(text);
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Splits long id lists so no statement exceeds the engines' bound-parameter limits. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Kysely reports affected rows as bigint (or not at all). */
export const affected = (n: bigint | undefined): number => Number(n ?? 0n);

/** Parameters per statement stay well under SQLite's 32766 and PostgreSQL's 65535. */
export const ID_CHUNK = 1000;
