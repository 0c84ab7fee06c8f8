// DKIM signing of outgoing mail (RFC 6376), done once when the message enters the queue so every
// retry sends the same bytes and the key is read once. We sign for the domain in the From header
// when it is ours (what DMARC aligns on, RFC 7489 §3.1), otherwise for the envelope sender's.
import type { dkimSign as DkimSign } from 'mailauth/lib/dkim/sign.js';
import type { Core } from '../context.js';
import type { DomainRecord } from '../../store/ports.js';
import { flattenAddresses, parseAddressList } from '../../mime/addresses.js';
import { headerValues, splitMessage } from '../../wire/header-block.js';
import { normaliseDomain } from '../../wire/address.js';

function domainOf(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  return at < 0 ? undefined : normaliseDomain(address.slice(at + 1));
}

/** Our domain record that should sign this message, if any. */
export async function signingDomain(
  core: Core,
  raw: Buffer,
  sender: string,
): Promise<DomainRecord | undefined> {
  const from = headerValues(splitMessage(raw), 'from')[0];
  const candidates: string[] = [];
  if (from !== undefined) {
    const first = flattenAddresses(parseAddressList(from)).find((a) => a.valid);
    const d = first && domainOf(first.address);
    if (d) candidates.push(d);
  }
  const envelope = sender ? domainOf(sender) : undefined;
  if (envelope) candidates.push(envelope);
  for (const name of candidates) {
    const domain = await core.store.directory.findDomain(name);
    if (domain?.dkimPrivateKey) return domain;
  }
  return undefined;
}

/**
 * Returns the message with a DKIM-Signature field prepended (relaxed/relaxed, rsa-sha256), or the
 * message unchanged when signing failed: unsigned mail still goes out, and the failure is logged.
 */
export async function signMessage(core: Core, raw: Buffer, domain: DomainRecord): Promise<Buffer> {
  try {
    // mailauth reads the keys from `signatureData` (one message may carry several signatures);
    // its bundled typings describe top-level fields that the code ignores, hence the cast.
    const options = {
      canonicalization: 'relaxed/relaxed',
      algorithm: 'rsa-sha256',
      signTime: new Date(core.now()),
      signatureData: [
        { signingDomain: domain.name, selector: domain.dkimSelector, privateKey: domain.dkimPrivateKey },
      ],
    };
    // Loaded on first use, like the arrival checks (src/core/delivery/message-auth.ts).
    const { dkimSign } = await import('mailauth/lib/dkim/sign.js');
    const r = await dkimSign(raw, options as unknown as Parameters<typeof DkimSign>[1]);
    if (r.errors.length > 0 || !r.signatures.trim()) {
      core.log.error({ domain: domain.name, errors: r.errors.map((e) => e.message) }, 'DKIM signing failed');
      return raw;
    }
    return Buffer.concat([Buffer.from(r.signatures, 'latin1'), raw]);
  } catch (err) {
    core.log.error({ err, domain: domain.name }, 'DKIM signing failed');
    return raw;
  }
}
