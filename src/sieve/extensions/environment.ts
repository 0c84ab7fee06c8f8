/** environment (RFC 5183). Item values come from the host. */
import type { Extension } from '../extension.js';
import { matchSpec, matchValues } from '../runtime/match.js';
import { MATCH_TAGS } from './tags.js';

export const environmentExtension: Extension = {
  capabilities: ['environment'],
  commands: [
    {
      name: 'environment',
      kind: 'test',
      tags: [...MATCH_TAGS],
      positional: ['string', 'strings'],
      *run(rt, node) {
        const name = rt.expandOne(node.args[0]).toLowerCase();
        const value = yield { type: 'environment', name };
        if (typeof value !== 'string') return false;
        return matchValues(rt, matchSpec(rt, node), [value], rt.expand(node.args[1]));
      },
    },
  ],
};
