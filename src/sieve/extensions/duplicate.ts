/** duplicate (RFC 7352). The host answers whether an id was seen; marks are returned in the result. */
import { createHash } from 'node:crypto';
import type { Extension } from '../extension.js';

export const duplicateExtension: Extension = {
  capabilities: ['duplicate'],
  commands: [
    {
      name: 'duplicate',
      kind: 'test',
      tags: [
        { name: 'handle', param: 'string' },
        { name: 'header', param: 'string', group: 'id-source' },
        { name: 'uniqueid', param: 'string', group: 'id-source' },
        { name: 'seconds', param: 'number' },
        { name: 'last' },
      ],
      *run(rt, node) {
        let value: string | undefined;
        if (node.tags['uniqueid'] !== undefined) value = rt.expandOne(node.tags['uniqueid']);
        else {
          const header = node.tags['header'] !== undefined ? rt.expandOne(node.tags['header']) : 'message-id';
          value = rt.message.values(header)[0]?.trim();
        }
        if (value === undefined || value === '') return false;
        const handle = node.tags['handle'] !== undefined ? rt.expandOne(node.tags['handle']) : '';
        const id = createHash('sha256').update(`${handle}\0${value}`).digest('hex');
        const seconds = typeof node.tags['seconds'] === 'number' ? node.tags['seconds'] : 7 * 86400;
        const seen = yield { type: 'duplicate', id, seconds, last: node.tags['last'] !== undefined };
        rt.duplicateMarks.push({ id, seconds });
        return seen === true;
      },
    },
  ],
};
