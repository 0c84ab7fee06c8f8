/** special-use (RFC 8579): specialuse_exists (the :specialuse tag lives on fileinto). */
import type { Extension } from '../extension.js';

const FLAG = /^\\[A-Za-z][A-Za-z0-9]*$/;

export const specialUseExtension: Extension = {
  capabilities: ['special-use'],
  commands: [
    {
      name: 'specialuse_exists',
      kind: 'test',
      positional: ['string', 'strings'],
      optionalArgs: 1,
      validate(node, cc, pos) {
        const flags = node.args[node.args.length - 1];
        if (Array.isArray(flags))
          for (const f of flags)
            if (typeof f === 'string' && !FLAG.test(f))
              cc.error(pos, `specialuse_exists test: invalid special-use flag '${f}' specified`);
      },
      *run(rt, node) {
        // With one argument it is the flag list (RFC 8579 §4).
        const mailbox = node.args.length === 2 ? rt.expandOne(node.args[0]) : null;
        const flags = rt.expand(node.args[node.args.length - 1]);
        for (const flag of flags) {
          if (!FLAG.test(flag)) return false;
          const ok = yield { type: 'special-use-exists', mailbox, flag };
          if (ok !== true) return false;
        }
        return true;
      },
    },
  ],
};
