/** spamtest, spamtestplus and virustest (RFC 5235), scored from a configured header. */
import type { Extension } from '../extension.js';
import type { SpamTestConfig } from '../types.js';
import { matchSpec, matchValues } from '../runtime/match.js';
import type { Runtime } from '../runtime/runtime.js';
import { MATCH_TAGS } from './tags.js';

/** Split "Header-Name: regex" into its parts. */
function headerSpec(spec: string): { name: string; re: RegExp | null } {
  const colon = spec.indexOf(':');
  if (colon < 0) return { name: spec.trim(), re: null };
  const pattern = spec.slice(colon + 1).trim();
  let re: RegExp | null;
  try {
    re = pattern ? new RegExp(pattern) : null;
  } catch {
    re = null;
  }
  return { name: spec.slice(0, colon).trim(), re };
}

function extract(rt: Runtime, spec: string): string | undefined {
  const { name, re } = headerSpec(spec);
  const v = rt.message.values(name)[0];
  if (v === undefined) return undefined;
  if (!re) return v.trim();
  const m = re.exec(v);
  return m ? (m[1] ?? m[0]) : undefined;
}

/**
 * Value on the RFC 5235 scale: "0" = not tested, 1..10 (spamtest/virustest: 1..5), or
 * with :percent 0..100.
 */
export function testValue(
  rt: Runtime,
  cfg: SpamTestConfig | undefined,
  kind: 'spam' | 'virus',
  percent: boolean,
): string {
  if (!cfg) return '0';
  const raw = extract(rt, cfg.header);
  if (raw === undefined) return '0';
  const top = kind === 'virus' ? 5 : 10;
  if (cfg.type === 'text') {
    for (const [value, text] of Object.entries(cfg.textValues ?? {})) {
      if (text.toLowerCase() === raw.trim().toLowerCase()) {
        if (!percent) return value;
        return String(Math.floor(((Number(value) - 1) / (top - 1)) * 100));
      }
    }
    return '0';
  }
  let score: number;
  let max = cfg.maxValue;
  if (cfg.type === 'strlen') score = raw.length;
  else {
    if (!/^\s*[+-]?(\d+(\.\d*)?|\.\d+)\s*$/.test(raw)) return '0';
    score = Number(raw);
  }
  if (cfg.maxHeader) {
    const m = extract(rt, cfg.maxHeader);
    if (m !== undefined && /^\s*[+-]?\d+(\.\d*)?\s*$/.test(m)) max = Number(m);
  }
  if (max === undefined || max <= 0) return '0';
  if (score < 0) return percent ? '0' : '1';
  const ratio = Math.min(score / max, 1);
  if (percent) return String(Math.trunc(100 * ratio + 0.001));
  return String(Math.trunc((top - 1) * ratio + 1.001));
}

export const spamtestExtension: Extension = {
  capabilities: ['spamtest'],
  commands: [
    {
      name: 'spamtest',
      kind: 'test',
      tags: [...MATCH_TAGS, { name: 'percent', requires: 'spamtestplus' }],
      positional: ['string'],
      evaluate(rt, node) {
        const v = testValue(rt, rt.options.spamtest, 'spam', node.tags['percent'] !== undefined);
        return matchValues(rt, matchSpec(rt, node, 'i;ascii-numeric'), [v], rt.expand(node.args[0]));
      },
    },
  ],
};

export const spamtestplusExtension: Extension = { capabilities: ['spamtestplus'], implies: ['spamtest'] };

export const virustestExtension: Extension = {
  capabilities: ['virustest'],
  commands: [
    {
      name: 'virustest',
      kind: 'test',
      tags: [...MATCH_TAGS],
      positional: ['string'],
      evaluate(rt, node) {
        const v = testValue(rt, rt.options.virustest, 'virus', false);
        return matchValues(rt, matchSpec(rt, node, 'i;ascii-numeric'), [v], rt.expand(node.args[0]));
      },
    },
  ],
};
