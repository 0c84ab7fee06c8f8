/** Tag sets shared by several tests (match types, comparators, address parts, index, mime). */
import type { TagDef } from '../extension.js';

export const MATCH_TYPE_TAGS: readonly TagDef[] = [
  { name: 'is', group: 'match-type' },
  { name: 'contains', group: 'match-type' },
  { name: 'matches', group: 'match-type' },
  { name: 'regex', group: 'match-type', requires: 'regex' },
  { name: 'value', group: 'match-type', param: 'string', requires: 'relational' },
  { name: 'count', group: 'match-type', param: 'string', requires: 'relational' },
];

export const COMPARATOR_TAG: TagDef = { name: 'comparator', param: 'string', group: 'comparator' };

export const MATCH_TAGS: readonly TagDef[] = [...MATCH_TYPE_TAGS, COMPARATOR_TAG];

export const ADDRESS_PART_TAGS: readonly TagDef[] = [
  { name: 'all', group: 'address-part' },
  { name: 'localpart', group: 'address-part' },
  { name: 'domain', group: 'address-part' },
  { name: 'user', group: 'address-part', requires: 'subaddress' },
  { name: 'detail', group: 'address-part', requires: 'subaddress' },
];

export const INDEX_TAGS: readonly TagDef[] = [
  { name: 'index', param: 'number', requires: 'index' },
  { name: 'last', requires: 'index' },
];

export const MIME_TAGS: readonly TagDef[] = [
  { name: 'mime', requires: 'mime' },
  { name: 'anychild', requires: 'mime' },
];

export const MIME_OPTION_TAGS: readonly TagDef[] = [
  { name: 'type', group: 'mime-option', requires: 'mime' },
  { name: 'subtype', group: 'mime-option', requires: 'mime' },
  { name: 'contenttype', group: 'mime-option', requires: 'mime' },
  { name: 'param', group: 'mime-option', param: 'strings', requires: 'mime' },
];
