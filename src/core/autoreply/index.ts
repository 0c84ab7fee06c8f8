// The auto-reply ("Répondeur", product-spec §2): saved auto-replies per address, one active, run at
// delivery as a Sieve vacation script before the address's own; service-level templates.
export * from './model.js';
export * from './auto-replies.js';
export * from './templates.js';
export { generateAutoReplyScript, autoReplyHandle } from './script.js';
export { AUTOREPLY_NS, AUTOREPLY_TEMPLATES_NS } from './storage.js';
