/** Builds the lookup tables the compiler and runtime share from the extension list. */
import type { CommandDef, Extension } from './extension.js';
import { BUILTIN_EXTENSIONS } from './extensions/index.js';

export interface Registry {
  readonly commands: Map<string, CommandDef>;
  /** Capabilities that enable a command ([] = always available). */
  readonly commandCaps: Map<string, string[]>;
  readonly capabilities: Set<string>;
  readonly implies: Map<string, readonly string[]>;
  readonly namespaces: Map<string, Extension>;
  /** Capabilities of extra (harness) extensions, available regardless of the allow list. */
  readonly hidden: Set<string>;
  readonly extensions: readonly Extension[];
}

const cache = new WeakMap<readonly Extension[], Registry>();
let builtin: Registry | undefined;

export function buildRegistry(extra: readonly Extension[]): Registry {
  if (extra.length === 0 && builtin) return builtin;
  const cached = cache.get(extra);
  if (cached) return cached;
  const extensions = [...BUILTIN_EXTENSIONS, ...extra];
  const reg: Registry = {
    commands: new Map(),
    commandCaps: new Map(),
    capabilities: new Set(),
    implies: new Map(),
    namespaces: new Map(),
    hidden: new Set(extra.flatMap((e) => e.capabilities)),
    extensions,
  };
  for (const e of extensions) {
    for (const c of e.capabilities) {
      reg.capabilities.add(c);
      if (e.implies) reg.implies.set(c, e.implies);
    }
    for (const d of e.commands ?? []) {
      reg.commands.set(d.name, d);
      reg.commandCaps.set(d.name, [...e.capabilities]);
    }
    for (const ns of e.namespaces ?? []) reg.namespaces.set(ns, e);
  }
  if (extra.length === 0) builtin = reg;
  else cache.set(extra, reg);
  return reg;
}

/** Every capability the built-in engine offers (for ManageSieve's SIEVE capability line). */
export function builtinCapabilities(): string[] {
  return [...buildRegistry([]).capabilities].filter((c) => c !== '');
}
