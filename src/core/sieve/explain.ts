// Words for the mail log: which script and line (and which rule, when the script names its rules
// with a comment above them, as the standard-mode rule builder does) produced each action.
import type { CompiledScript } from '../../sieve/index.js';

export interface ScriptText {
  source: string;
  compiled: CompiledScript;
}

/** "main line 7 (Newsletters)" for an action at `line` of script `name`. */
export function where(scripts: ReadonlyMap<string, ScriptText>, name: string, line: number): string {
  const s = scripts.get(name);
  const rule = s ? ruleName(s, line) : undefined;
  return `${name ? `script "${name}" ` : ''}line ${line}${rule ? ` (rule "${rule}")` : ''}`;
}

/** The comment directly above the top-level command that contains `line`, if any. */
export function ruleName(s: ScriptText, line: number): string | undefined {
  let top = 0;
  for (const n of s.compiled.body) if (n.line <= line) top = n.line;
  if (top === 0) return undefined;
  const lines = s.source.split(/\r?\n/);
  const above = lines[top - 2];
  const m = above === undefined ? null : /^\s*#\s*(?:rule\s*:\s*)?(.*?)\s*$/i.exec(above);
  return m && m[1] ? m[1] : undefined;
}
