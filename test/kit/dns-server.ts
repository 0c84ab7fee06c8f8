// A tiny authoritative DNS server on loopback for tests: A, AAAA, MX and TXT from a map. Lets the
// SPF/DKIM/DMARC checks and MX routing run for real without ever leaving the machine.
import { createSocket, type Socket } from 'node:dgram';

export interface Zone {
  [name: string]: {
    A?: string[];
    AAAA?: string[];
    MX?: Array<{ priority: number; exchange: string }>;
    TXT?: string[];
  };
}

const TYPES: Record<number, 'A' | 'AAAA' | 'MX' | 'TXT'> = { 1: 'A', 28: 'AAAA', 15: 'MX', 16: 'TXT' };

function readName(buf: Buffer, off: number): [string, number] {
  const labels: string[] = [];
  for (;;) {
    const len = buf[off]!;
    if (len === 0) return [labels.join('.'), off + 1];
    if ((len & 0xc0) === 0xc0) {
      const [rest] = readName(buf, ((len & 0x3f) << 8) | buf[off + 1]!);
      labels.push(rest);
      return [labels.join('.'), off + 2];
    }
    labels.push(buf.toString('latin1', off + 1, off + 1 + len));
    off += 1 + len;
  }
}

function encodeName(name: string): Buffer {
  const parts = name.replace(/\.$/, '').split('.').filter(Boolean);
  return Buffer.concat([
    ...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'latin1')])),
    Buffer.from([0]),
  ]);
}

function rdata(type: 'A' | 'AAAA' | 'MX' | 'TXT', v: unknown): Buffer {
  switch (type) {
    case 'A':
      return Buffer.from((v as string).split('.').map(Number));
    case 'AAAA': {
      const full = (v as string).split('::');
      const head = full[0] ? full[0].split(':') : [];
      const tail = full[1] ? full[1].split(':') : [];
      const groups = [...head, ...Array(8 - head.length - tail.length).fill('0'), ...tail];
      const b = Buffer.alloc(16);
      groups.forEach((g, i) => b.writeUInt16BE(parseInt(g || '0', 16), i * 2));
      return b;
    }
    case 'MX': {
      const m = v as { priority: number; exchange: string };
      const p = Buffer.alloc(2);
      p.writeUInt16BE(m.priority);
      return Buffer.concat([p, encodeName(m.exchange)]);
    }
    case 'TXT': {
      const s = Buffer.from(v as string, 'utf8');
      const chunks: Buffer[] = [];
      for (let i = 0; i < s.length || i === 0; i += 255) {
        const c = s.subarray(i, i + 255);
        chunks.push(Buffer.from([c.length]), c);
        if (s.length === 0) break;
      }
      return Buffer.concat(chunks);
    }
  }
}

export interface TestDns {
  /** "127.0.0.1:port", for [dns] servers. */
  server: string;
  zone: Zone;
  queries: string[];
  close(): Promise<void>;
}

export async function startTestDns(zone: Zone): Promise<TestDns> {
  const sock: Socket = createSocket('udp4');
  const queries: string[] = [];
  sock.on('message', (msg, rinfo) => {
    try {
      const id = msg.readUInt16BE(0);
      const [qname, off] = readName(msg, 12);
      const qtype = msg.readUInt16BE(off);
      const question = msg.subarray(12, off + 4);
      const name = qname.toLowerCase();
      const type = TYPES[qtype];
      queries.push(`${type ?? qtype} ${name}`);
      const entry = zone[name];
      const answers: Buffer[] = [];
      if (entry && type) {
        for (const v of (entry[type] ?? []) as unknown[]) {
          const rd = rdata(type, v);
          const head = Buffer.alloc(10);
          head.writeUInt16BE(qtype, 0);
          head.writeUInt16BE(1, 2);
          head.writeUInt32BE(60, 4);
          head.writeUInt16BE(rd.length, 8);
          answers.push(Buffer.concat([Buffer.from([0xc0, 0x0c]), head, rd]));
        }
      }
      const header = Buffer.alloc(12);
      header.writeUInt16BE(id, 0);
      // QR, AA, RD copied, RCODE 3 (NXDOMAIN) when the name is unknown
      header.writeUInt16BE(0x8400 | (msg.readUInt16BE(2) & 0x0100) | (entry ? 0 : 3), 2);
      header.writeUInt16BE(1, 4);
      header.writeUInt16BE(answers.length, 6);
      sock.send(Buffer.concat([header, question, ...answers]), rinfo.port, rinfo.address);
    } catch {
      /* ignore malformed queries */
    }
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  return {
    server: `127.0.0.1:${sock.address().port}`,
    zone,
    queries,
    close: () => new Promise((resolve) => sock.close(() => resolve())),
  };
}
