// Per-address limits on stored Sieve scripts and standard rules. ManageSieve reports the script ones
// with QUOTA/MAXSCRIPTS and QUOTA/MAXSIZE (RFC 5804 §1.3); the web UI with the same errors.
export interface RulesLimits {
  /** Stored scripts per address, the standard-rules script included. */
  readonly maxScripts: number;
  /** Bytes (UTF-8) of one script. */
  readonly maxScriptSize: number;
  /** Characters of a script name. */
  readonly maxNameLength: number;
  /** Standard-mode rules per address. */
  readonly maxRules: number;
  /** Conditions and actions per rule. */
  readonly maxConditions: number;
  readonly maxActions: number;
  /** Characters of a rule name (the product's API allows 64 for templates). */
  readonly maxRuleNameLength: number;
  /** Characters of one condition value. */
  readonly maxValueLength: number;
  /** Rule templates per mail service. */
  readonly maxTemplates: number;
}

export const DEFAULT_RULES_LIMITS: RulesLimits = {
  maxScripts: 20,
  maxScriptSize: 128 * 1024,
  maxNameLength: 128,
  maxRules: 200,
  maxConditions: 20,
  maxActions: 10,
  maxRuleNameLength: 64,
  maxValueLength: 1024,
  maxTemplates: 100,
};
