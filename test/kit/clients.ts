// Real clients for protocol tests: Python's smtplib/imaplib (as hosting customers' scripts use
// them), swaks and curl, run as child processes against the server on loopback.
import { spawn, spawnSync } from 'node:child_process';

export interface PyResult {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs Python code with helpers in scope (ctx(), msg(...), imap(port, user, pw), find(...)).
 * Asynchronous on purpose: servers living in the test process (the loopback DNS) must keep answering.
 */
export function python(code: string, args: string[] = []): Promise<PyResult> {
  const prelude = `
import sys, ssl, smtplib, imaplib, poplib, json, time, uuid
from email.message import EmailMessage
def ctx():
    c = ssl.create_default_context(); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE; return c
def msg(frm, to, subject=None, body="hello\\r\\n", **headers):
    m = EmailMessage(); m["From"] = frm; m["To"] = to
    m["Subject"] = subject or ("t " + uuid.uuid4().hex[:8])
    for k, v in headers.items(): m[k.replace("_", "-")] = v
    m.set_content(body); return m
def imap(port, user, pw):
    m = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=ctx(), timeout=20); m.login(user, pw); return m
def find(port, user, pw, subject, folder="INBOX", wait=10.0):
    end = time.time() + wait
    while time.time() < end:
        m = imap(port, user, pw)
        typ, _ = m.select('"%s"' % folder)
        if typ == "OK":
            typ, data = m.search(None, "SUBJECT", '"%s"' % subject)
            ids = data[0].split() if data and data[0] else []
            if ids:
                typ, d = m.fetch(ids[-1], "(BODY.PEEK[])"); m.logout(); return d[0][1].decode("utf-8", "replace")
        m.logout(); time.sleep(0.2)
    return None
`;
  return new Promise((resolve) => {
    const p = spawn('python3', ['-c', prelude + '\n' + code, ...args], { timeout: 120_000 });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

export function run(cmd: string, args: string[], input?: string): PyResult {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    timeout: 60_000,
    ...(input !== undefined ? { input } : {}),
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}
