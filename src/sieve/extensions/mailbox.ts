/** mailbox (RFC 5490): mailboxexists (the :create tag lives on fileinto). */
import type { Extension } from '../extension.js';
import { mailboxNameError } from './fileinto.js';

export const mailboxExtension: Extension = {
  capabilities: ['mailbox'],
  commands: [
    {
      name: 'mailboxexists',
      kind: 'test',
      positional: ['strings'],
      *run(rt, node) {
        for (const mailbox of rt.expand(node.args[0])) {
          if (mailboxNameError(mailbox)) return false;
          const ok = yield { type: 'mailbox-exists', mailbox };
          if (ok !== true) return false;
        }
        return true;
      },
    },
  ],
};
