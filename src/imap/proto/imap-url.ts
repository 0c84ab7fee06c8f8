// IMAP URLs of one message or part (RFC 5092 §6, as CATENATE uses them, RFC 4469 §5):
//   [imap://[user[;AUTH=x]@]host[:port]]/<mailbox>[;UIDVALIDITY=n]/;UID=n[/;SECTION=s][/;PARTIAL=o[.l]]
// The mailbox is percent-encoded UTF-8.

export interface ImapUrl {
  mailbox: string;
  uidValidity: number | null;
  uid: number;
  section: string | null;
  partial: { offset: number; length: number | null } | null;
}

function decodePercent(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

const NZ = /^[1-9]\d{0,9}$/;

export function parseImapUrl(url: string): ImapUrl | null {
  let path = url;
  const abs = /^imap:\/\/[^/]*/i.exec(path);
  if (abs) path = path.slice(abs[0].length);
  if (!path.startsWith('/')) return null;
  const uidAt = path.search(/\/;uid=/i);
  if (uidAt < 0) return null;
  let boxPart = path.slice(1, uidAt);
  let uidValidity: number | null = null;
  const uv = /;uidvalidity=([^/;]*)$/i.exec(boxPart);
  if (uv) {
    if (!NZ.test(uv[1]!)) return null;
    uidValidity = Number(uv[1]);
    boxPart = boxPart.slice(0, uv.index);
  }
  const mailbox = decodePercent(boxPart);
  if (mailbox === null || mailbox === '') return null;
  const params = path.slice(uidAt + 2).split('/;');
  let uid = 0;
  let section: string | null = null;
  let partial: ImapUrl['partial'] = null;
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq < 0) return null;
    const key = p.slice(0, eq).toUpperCase();
    const value = decodePercent(p.slice(eq + 1));
    if (value === null) return null;
    if (key === 'UID' && NZ.test(value)) uid = Number(value);
    else if (key === 'SECTION' && value !== '') section = value;
    else if (key === 'PARTIAL') {
      const m = /^(\d{1,10})(?:\.([1-9]\d{0,9}))?$/.exec(value);
      if (!m) return null;
      partial = { offset: Number(m[1]), length: m[2] === undefined ? null : Number(m[2]) };
    } else return null;
  }
  if (uid === 0) return null;
  return { mailbox, uidValidity, uid, section, partial };
}
