// A DKIM key per domain, generated at domain creation (RSA 2048, the size every verifier accepts).
import { generateKeyPairSync } from 'node:crypto';

export interface DkimKeyPair {
  privateKeyPem: string;
  /** Base64 DER SubjectPublicKeyInfo: the p= value of the DNS record. */
  publicKeyB64: string;
}

export function generateDkimKey(): DkimKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyB64: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
  };
}

/** The TXT record to publish at <selector>._domainkey.<domain>. */
export function dkimDnsRecord(
  domain: string,
  selector: string,
  publicKeyB64: string,
): { name: string; value: string } {
  return { name: `${selector}._domainkey.${domain}`, value: `v=DKIM1; k=rsa; p=${publicKeyB64}` };
}
