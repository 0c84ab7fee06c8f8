// Service-level auto-reply templates (product-spec §2, "Autoresponders" tab): the administrator
// writes a message once; "visible" offers it to users; "apply" copies it into addresses of the
// service as a saved auto-reply (activated by default), linked by `templateId`. Applying again
// updates those copies instead of adding new ones. A template has no `replyFrom`: identities
// belong to each address.
import { randomBytes } from 'node:crypto';
import type { Core } from '../context.js';
import { MailError } from '../errors.js';
import { createAutoReply, updateAutoReply } from './auto-replies.js';
import {
  AUTOREPLY_LIMITS,
  DEFAULT_DAYS,
  DEFAULT_ZONE,
  buildAutoReply,
  type AutoReply,
  type AutoReplyInput,
} from './model.js';
import { readAddress, readTemplates, writeTemplates } from './storage.js';

export interface AutoReplyTemplate extends Omit<AutoReply, 'isActive' | 'replyFrom' | 'templateId'> {
  /** Offered to users of the service. */
  readonly visible: boolean;
}

export type AutoReplyTemplateInput = Omit<AutoReplyInput, 'replyFrom' | 'isActive'> & { visible?: boolean };

function check(base: AutoReplyTemplate, input: AutoReplyTemplateInput, now: number): AutoReplyTemplate {
  const { visible, ...fields } = input;
  const { isActive: _unused, ...r } = buildAutoReply({ ...base, isActive: false }, fields, [], now);
  void _unused;
  return { ...r, visible: visible ?? base.visible };
}

function find(list: readonly AutoReplyTemplate[], idOrName: string): number {
  const key = idOrName.toLowerCase();
  const i = list.findIndex((t) => t.id === idOrName || t.name.toLowerCase() === key);
  if (i < 0) throw new MailError('NOT_FOUND', `There is no auto-reply template ${idOrName}`);
  return i;
}

function checkNameFree(list: readonly AutoReplyTemplate[], t: AutoReplyTemplate): void {
  if (list.some((x) => x.id !== t.id && x.name.toLowerCase() === t.name.toLowerCase()))
    throw new MailError('ALREADY_EXISTS', `There is already an auto-reply template named "${t.name}"`);
}

export async function listAutoReplyTemplates(
  core: Core,
  serviceId: number,
  opts: { visibleOnly?: boolean } = {},
): Promise<AutoReplyTemplate[]> {
  const all = await readTemplates(core.store, serviceId);
  return opts.visibleOnly ? all.filter((t) => t.visible) : all;
}

export async function addAutoReplyTemplate(
  core: Core,
  serviceId: number,
  input: AutoReplyTemplateInput & { name: string; message: string },
): Promise<AutoReplyTemplate> {
  const now = core.now();
  const t = check(
    {
      id: randomBytes(6).toString('hex'),
      name: '',
      message: '',
      zone: DEFAULT_ZONE,
      dontReplyTo: [],
      days: DEFAULT_DAYS,
      visible: true,
      createdAt: now,
      updatedAt: now,
    },
    input,
    now,
  );
  return core.store.transaction(async (tx) => {
    const list = await readTemplates(tx, serviceId);
    if (list.length >= AUTOREPLY_LIMITS.maxTemplates)
      throw new MailError('PLAN_LIMIT', `At most ${AUTOREPLY_LIMITS.maxTemplates} auto-reply templates`);
    checkNameFree(list, t);
    await writeTemplates(tx, serviceId, [...list, t]);
    return t;
  });
}

export async function updateAutoReplyTemplate(
  core: Core,
  serviceId: number,
  idOrName: string,
  patch: AutoReplyTemplateInput,
): Promise<AutoReplyTemplate> {
  return core.store.transaction(async (tx) => {
    const list = await readTemplates(tx, serviceId);
    const i = find(list, idOrName);
    const t = check(list[i]!, patch, core.now());
    checkNameFree(list, t);
    const next = [...list];
    next[i] = t;
    await writeTemplates(tx, serviceId, next);
    return t;
  });
}

/** Removes the template; copies already applied to addresses stay (they are the addresses' own now). */
export async function removeAutoReplyTemplate(
  core: Core,
  serviceId: number,
  idOrName: string,
): Promise<void> {
  await core.store.transaction(async (tx) => {
    const list = await readTemplates(tx, serviceId);
    const i = find(list, idOrName);
    await writeTemplates(
      tx,
      serviceId,
      list.filter((_, j) => j !== i),
    );
  });
}

export interface ApplyResult {
  applied: string[];
  failed: { address: string; reason: string }[];
}

/**
 * Copies the template into every mailbox of the service (or the given address ids), activating the
 * copy unless `activate` is false. Each address is its own transaction: a large service does not
 * hold one long write, and running it again after a failure is harmless (copies are updated).
 */
export async function applyAutoReplyTemplate(
  core: Core,
  serviceId: number,
  idOrName: string,
  opts: { addressIds?: readonly number[]; activate?: boolean } = {},
): Promise<ApplyResult> {
  const list = await readTemplates(core.store, serviceId);
  const t = list[find(list, idOrName)]!;
  const activate = opts.activate ?? true;
  const wanted = opts.addressIds ? new Set(opts.addressIds) : undefined;
  const addresses = (await core.store.directory.listAddresses(serviceId)).filter(
    (a) => a.kind === 'mailbox' && (!wanted || wanted.has(a.id)),
  );
  const fields: AutoReplyInput & { message: string } = {
    message: t.message,
    subject: t.subject ?? null,
    startsAt: t.startsAt ?? null,
    endsAt: t.endsAt ?? null,
    recurrentDays: t.recurrentDays ?? null,
    zone: t.zone,
    dontReplyTo: t.dontReplyTo,
    days: t.days,
  };
  const out: ApplyResult = { applied: [], failed: [] };
  for (const a of addresses) {
    try {
      const { replies } = await readAddress(core.store, a.id);
      const copy = replies.find((r) => r.templateId === t.id);
      if (copy)
        await updateAutoReply(core, a.id, copy.id, { ...fields, ...(activate ? { isActive: true } : {}) });
      else {
        const taken = new Set(replies.map((r) => r.name.toLowerCase()));
        let name = t.name;
        for (let n = 2; taken.has(name.toLowerCase()); n++) name = `${t.name} (${n})`;
        await createAutoReply(core, a.id, { ...fields, name, isActive: activate }, { templateId: t.id });
      }
      out.applied.push(a.localPart);
    } catch (e) {
      out.failed.push({ address: a.localPart, reason: e instanceof Error ? e.message : String(e) });
    }
  }
  return out;
}
