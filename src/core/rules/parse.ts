// Reading a generated rules script back into rules (the inverse of generate.ts). A script is taken as
// standard rules only when it is exactly what its rule data generates, so a hand-edited copy is
// never silently turned back into rules (and then overwritten).
import { DEFAULT_RULES_LIMITS } from './limits.js';
import { validateRule, type Rule } from './model.js';
import { generateRulesScript, RULE_DATA_PREFIX, RULES_MARKER } from './generate.js';

/** The rules a generated script holds, or null if it is not (or no longer) a generated script. */
export function parseRulesScript(source: string): Rule[] | null {
  const text = source.replace(/\r\n/g, '\n');
  const lines = text.split('\n');
  if (!lines.includes(RULES_MARKER)) return null;
  const rules: Rule[] = [];
  try {
    for (const line of lines) {
      if (!line.startsWith(RULE_DATA_PREFIX)) continue;
      rules.push(
        validateRule(JSON.parse(line.slice(RULE_DATA_PREFIX.length)), {
          ...DEFAULT_RULES_LIMITS,
          maxValueLength: Infinity,
          maxConditions: Infinity,
          maxActions: Infinity,
        }),
      );
    }
  } catch {
    return null;
  }
  const title = lines[0]?.startsWith('# ') ? lines[0].slice(2) : undefined;
  const again = generateRulesScript(rules, title !== undefined ? { title } : {});
  return again === text || again.trimEnd() === text.trimEnd() ? rules : null;
}
