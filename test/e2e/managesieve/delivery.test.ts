// A script stored over ManageSieve is the one delivery runs: upload and activate it, send a message
// over SMTP, and read the per-address mail log (admin log show) for where it went and why.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { TestServer } from '../../kit/server.js';
import { waitFor } from '../../kit/server.js';
import { literal, loggedIn, startSieveServer, USER } from './harness.js';

let srv: TestServer;

before(async () => {
  srv = await startSieveServer(['managesieve', 'smtp']);
});

after(async () => {
  await srv?.cleanup();
});

async function sendMail(port: number, subject: string, id: string): Promise<void> {
  const s = connect(port, '127.0.0.1');
  let buf = '';
  s.on('data', (d: Buffer) => (buf += d.toString()));
  const reply = async (): Promise<string> => {
    await waitFor(() => /^\d{3} .*\r\n/m.test(buf), 10_000, 'SMTP reply');
    const b = buf;
    buf = '';
    return b;
  };
  await reply();
  for (const l of ['EHLO client.test', 'MAIL FROM:<bob@example.org>', `RCPT TO:<${USER}>`, 'DATA']) {
    s.write(`${l}\r\n`);
    assert.match(await reply(), /^(250|354)/m);
  }
  s.write(
    `From: bob@example.org\r\nTo: ${USER}\r\nSubject: ${subject}\r\nMessage-ID: <${id}>\r\n\r\nhi\r\n.\r\n`,
  );
  assert.match(await reply(), /^250 /m);
  s.end('QUIT\r\n');
}

test('the active script uploaded over ManageSieve sorts incoming mail', async () => {
  const c = await loggedIn(srv.ports.managesieve);
  const script =
    'require ["fileinto", "mailbox"];\r\nif header :contains "subject" "invoice" {\r\n  fileinto :create "Bills";\r\n}\r\n';
  assert.match((await c.cmd(`PUTSCRIPT "main" ${literal(script)}`)).done, /^OK/);
  assert.match((await c.cmd('SETACTIVE "main"')).done, /^OK/);
  c.close();
  await sendMail(srv.ports.smtp, 'Your invoice', 'inv1@example.org');
  await sendMail(srv.ports.smtp, 'Hello', 'hello1@example.org');
  let log = '';
  await waitFor(
    () => {
      log = srv.admin('log', 'show', USER).stdout;
      return (
        log.includes('inv1@example.org') &&
        log.includes('hello1@example.org') &&
        /delivered[^\n]*inv1/.test(log)
      );
    },
    15_000,
    'mail log',
  );
  const inv = log.split('\n').find((l) => /\tdelivered\t<inv1@example\.org>/.test(l)) ?? '';
  assert.match(inv, /"folders":\["Bills"\]/);
  assert.match(inv, /script \\"main\\" line 3/);
  const hello = log.split('\n').find((l) => /\tdelivered\t<hello1@example\.org>/.test(l)) ?? '';
  assert.match(hello, /"folders":\["INBOX"\]/);
});
