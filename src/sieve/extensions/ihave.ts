/** ihave (RFC 5463): the test (resolved mostly at compile time) and the error command. */
import type { Extension } from '../extension.js';

/** Capabilities that change how strings are read: ihave never confirms them (RFC 5463 §4). */
export const IHAVE_REFUSED: ReadonlySet<string> = new Set(['encoded-character', 'variables']);

export const ihaveExtension: Extension = {
  capabilities: ['ihave'],
  commands: [
    {
      name: 'ihave',
      kind: 'test',
      positional: ['strings'],
      evaluate(rt, node) {
        // The compiler only keeps the block when every capability exists, and records
        // them as required; so a capability is present iff the script may use it.
        return rt.expand(node.args[0]).every((c) => rt.has(c) && !IHAVE_REFUSED.has(c.toLowerCase()));
      },
    },
    {
      name: 'error',
      kind: 'command',
      positional: ['string'],
      evaluate(rt, node) {
        return rt.fail(rt.expandOne(node.args[0]));
      },
    },
  ],
};
