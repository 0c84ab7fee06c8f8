/** fileinto (RFC 5228 §4.1) with :copy (RFC 3894), :flags (RFC 5232), :create (RFC 5490), :specialuse (RFC 8579). */
import type { Extension } from '../extension.js';
import { deliveryFlags } from './core.js';

/** Mailbox names must be valid UTF-8 without control characters (modified UTF-7 is the host's business). */
export function mailboxNameError(name: string): string | undefined {
  if (name === '') return 'mailbox name is empty';
  if (name.includes('\uFFFD') || /[\x00-\x1f\x7f]/.test(name))
    return `invalid folder name '${name}': not valid UTF-8 or has control characters`;
  return undefined;
}

export const fileintoExtension: Extension = {
  capabilities: ['fileinto'],
  commands: [
    {
      name: 'fileinto',
      kind: 'command',
      tags: [
        { name: 'copy', requires: 'copy' },
        { name: 'flags', param: 'strings', requires: 'imap4flags' },
        { name: 'create', requires: 'mailbox' },
        { name: 'specialuse', param: 'string', requires: 'special-use' },
      ],
      positional: ['string'],
      validate(node, cc, pos) {
        const lit = cc.literal(node.args[0]);
        const err = lit === undefined ? undefined : mailboxNameError(lit);
        if (err) cc.error(pos, `invalid mailbox name for fileinto: ${err}`);
        const use = cc.literal(node.tags['specialuse']);
        if (use !== undefined && !/^\\[A-Za-z][A-Za-z0-9]*$/.test(use))
          cc.error(pos, `fileinto command: invalid special-use flag '${use}' specified`);
      },
      evaluate(rt, node) {
        const mailbox = rt.expandOne(node.args[0]);
        const err = mailboxNameError(mailbox);
        if (err) rt.fail(`failed to store into mailbox: ${err}`);
        const specialUse =
          node.tags['specialuse'] !== undefined ? rt.expandOne(node.tags['specialuse']) : undefined;
        rt.addAction({
          type: 'fileinto',
          mailbox,
          copy: node.tags['copy'] !== undefined,
          create: node.tags['create'] !== undefined,
          ...(specialUse !== undefined ? { specialUse } : {}),
          ...rt.copyState(deliveryFlags(rt, node)),
        });
        return true;
      },
    },
  ],
};
