/** reject and ereject (RFC 5429). */
import type { CommandDef, Extension } from '../extension.js';

function rejectCommand(name: 'reject' | 'ereject'): CommandDef {
  return {
    name,
    kind: 'command',
    positional: ['string'],
    evaluate(rt, node) {
      rt.addAction({ type: 'reject', reason: rt.expandOne(node.args[0]), extended: name === 'ereject' });
      return true;
    },
  };
}

export const rejectExtension: Extension = { capabilities: ['reject'], commands: [rejectCommand('reject')] };
export const erejectExtension: Extension = {
  capabilities: ['ereject'],
  commands: [rejectCommand('ereject')],
};
