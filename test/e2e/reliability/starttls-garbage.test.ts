// Regression found by the long SMTP fuzz run (seed 2088354179): a client that says STARTTLS and then
// sends bytes that are not a TLS handshake makes smtp-server emit 'error' on the SMTPServer instance;
// with no listener for it, the whole server process exits (every protocol, every session).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startServer, waitFor, type TestServer } from '../../kit/server.js';

let srv: TestServer | undefined;
after(async () => {
  await srv?.cleanup();
});

function session(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    let sent = false;
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (!sent && /^220 /m.test(got)) {
        sent = true;
        s.write('EHLO fuzz.remote.test\r\nSTARTTLS\r\n');
      }
      if (/^220 .*TLS/im.test(got.split('\n').slice(1).join('\n'))) s.write(bytes);
    });
    s.on('error', () => undefined);
    s.on('close', () => resolve(got));
    setTimeout(() => s.destroy(), 1500);
  });
}

test('STARTTLS followed by garbage does not take the server down', async () => {
  srv = await startServer({ services: ['smtp'] });
  await session(srv.ports.smtp, 'this is not a TLS ClientHello\r\nQUIT\r\n');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(srv.proc.exitCode, null, 'server process exited');
  await waitFor(() => srv!.proc.exitCode === null, 1000, 'server alive');
});
