// Checking a Sieve script before it is stored (RFC 5804 §2.6: PUTSCRIPT and CHECKSCRIPT must refuse a
// script that does not compile, saying why). Errors name line and column, as the engine reports them.
import {
  compile,
  type CNode,
  type CompileErrorInfo,
  type CompileOptions,
  type CompiledScript,
} from '../../sieve/index.js';
import { MailError } from '../errors.js';

export interface ScriptCheckOptions {
  readonly maxScriptSize: number;
  /** The plan allows forwarding: `redirect` may appear (the issue: forbidden on plans without it). */
  readonly forwarding: boolean;
  /** Compile-time include checks: a loader over the preloaded scripts and the upload flags. */
  readonly include?: Pick<CompileOptions, 'includeLoader' | 'uploaded' | 'activated' | 'includeChain'>;
}

export interface ScriptCheck {
  readonly script: CompiledScript;
  readonly warnings: readonly CompileErrorInfo[];
}

export function formatDiagnostic(d: CompileErrorInfo): string {
  return `line ${d.line}, column ${d.column}: ${d.message}`;
}

/** Compiles `source` and applies the service's policy; throws INVALID_ARGUMENT / OVER_QUOTA. */
export function checkSieveSource(source: string, opts: ScriptCheckOptions): ScriptCheck {
  const size = Buffer.byteLength(source, 'utf8');
  if (size > opts.maxScriptSize)
    throw new MailError(
      'OVER_QUOTA',
      `The script is ${size} bytes; at most ${opts.maxScriptSize} are allowed`,
      false,
      {
        quota: 'maxsize',
      },
    );
  const r = compile(source, {
    name: 'script',
    limits: { maxScriptSize: opts.maxScriptSize },
    ...opts.include,
  });
  if (!r.ok) {
    throw new MailError('INVALID_ARGUMENT', r.errors.map(formatDiagnostic).join('\r\n'), false, {
      errors: r.errors,
    });
  }
  if (!opts.forwarding) {
    const line = findCommand(r.script.body, 'redirect');
    if (line !== undefined) {
      const errors = [{ line, column: 1, message: 'redirect is not allowed: this plan has no forwarding' }];
      throw new MailError('INVALID_ARGUMENT', errors.map(formatDiagnostic).join('\r\n'), false, { errors });
    }
  }
  return { script: r.script, warnings: r.warnings };
}

/** Line of the first command named `id` anywhere in the script, or undefined. */
function findCommand(nodes: readonly CNode[] | undefined, id: string): number | undefined {
  for (const n of nodes ?? []) {
    if (n.id === id) return n.line;
    const inner =
      findCommand(n.block, id) ??
      findCommand(n.elseBlock, id) ??
      n.branches?.map((b) => findCommand(b.block, id)).find((l) => l !== undefined);
    if (inner !== undefined) return inner;
  }
  return undefined;
}
