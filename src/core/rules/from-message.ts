// "Make a rule from a received message" (product-spec §1.5, issue 5): conditions pre-filled from the
// message's From, To, Subject and List-Id. Pure: the caller reads the message; the user picks which
// suggestions to keep and the actions.
import {
  decodeEncodedWords,
  flattenAddresses,
  getFirstValue,
  parseAddressList,
  parseHeaderSection,
} from '../../mime/index.js';
import type { RuleAction, RuleCondition } from './model.js';

export interface RuleDraft {
  readonly name: string;
  readonly enabled: true;
  readonly allOf: true;
  /** The suggested starting point: List-Id if the message came from a list, else the sender. */
  readonly conditions: RuleCondition[];
  readonly actions: RuleAction[];
  /** Every condition the message offers, for the form's check boxes. */
  readonly suggestions: RuleCondition[];
}

/** "Re: Fwd: AW: Subject" → "Subject": a rule on a thread's subject should match its replies too. */
function baseSubject(s: string): string {
  let out = s.trim();
  for (;;) {
    const next = out.replace(/^(re|fwd?|aw|wg|tr|sv|vs|antw)\s*(\[\d+\])?\s*:\s*/i, '');
    if (next === out) return out;
    out = next;
  }
}

function firstAddress(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return flattenAddresses(parseAddressList(value)).find((a) => a.valid)?.address;
}

/** The id inside List-Id: "Name <id.example.com>" → "id.example.com" (RFC 2919 §3). */
function listId(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const m = /<([^<>]+)>/.exec(value);
  const id = (m ? m[1]! : value).trim();
  return id === '' ? undefined : id;
}

export function ruleFromMessage(raw: Uint8Array): RuleDraft {
  const { fields } = parseHeaderSection(raw, 0, raw.length, { maxFields: 1000 });
  const from = firstAddress(getFirstValue(fields, 'from'));
  const to = firstAddress(getFirstValue(fields, 'to'));
  const subjectRaw = getFirstValue(fields, 'subject');
  const subject = subjectRaw === undefined ? '' : baseSubject(decodeEncodedWords(subjectRaw)).slice(0, 200);
  const list = listId(getFirstValue(fields, 'list-id'));
  const suggestions: RuleCondition[] = [];
  if (list) suggestions.push({ property: 'list-id', operator: 'contains', value: list });
  if (from) suggestions.push({ property: 'from', operator: 'is', value: from });
  if (to) suggestions.push({ property: 'to', operator: 'is', value: to });
  if (subject) suggestions.push({ property: 'subject', operator: 'contains', value: subject });
  const first = suggestions[0];
  const name = list ? `List ${list}` : from ? `From ${from}` : subject ? `Subject ${subject}` : 'New rule';
  return {
    name: [...name].slice(0, 64).join(''),
    enabled: true,
    allOf: true,
    conditions: first ? [first] : [],
    actions: [],
    suggestions,
  };
}
