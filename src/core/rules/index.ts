// Sorting rules and Sieve scripts of an address: the one domain API that ManageSieve, the admin CLI
// and the web UI use (product-spec §1, issue 5). See each module for the decisions it holds.
export * from './access.js';
export * from './limits.js';
export * from './model.js';
export * from './script-names.js';
export * from './scripts.js';
export * from './standard.js';
export * from './templates.js';
export * from './from-message.js';
export { generateRulesScript, RULES_MARKER } from './generate.js';
export { parseRulesScript } from './parse.js';
export { checkSieveSource, formatDiagnostic } from './validate.js';
