// The reference servers from Debian, configured in a temporary directory and run on loopback ports
// for one bench run: Dovecot (IMAP over TLS, LMTP; maildir, passwd-file users) and Postfix (MX on
// a port of its own, handing local mail to Dovecot over LMTP). Same users and password as Mailstead.
//
// Debian packages: postfix dovecot-imapd dovecot-lmtpd dovecot-sieve
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, sleep, waitPort } from './lib.mjs';

function ids(name) {
  const r = spawnSync('id', ['-u', name], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', name], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`no system user ${name}: install the Debian packages (see bench/README.md)`);
  return { uid: Number(r.stdout), gid: Number(g.stdout) };
}

export function haveReference() {
  return existsSync('/usr/sbin/dovecot') && existsSync('/usr/lib/postfix/sbin/master');
}

function selfSigned(dir) {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const r = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=ref.example.test', '-keyout', key, '-out', cert],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
  return { cert, key };
}

/**
 * Dovecot with IMAPS and LMTP. `opts.users`: local parts at example.test, password "pass".
 * `opts.sieve`: enable Pigeonhole on LMTP delivery with this script for every user.
 * `opts.imapReuse`: keep this many imap processes ready and reuse them (service_count = 0) instead
 * of Dovecot's default of one new process per session.
 */
export async function startDovecot(opts = {}) {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'ms-ref-dovecot-'));
  chmodSync(dir, 0o755); // the mail user must reach its maildirs
  const mail = ids('mail');
  const imaps = await freePort();
  const lmtp = await freePort();
  const { cert, key } = selfSigned(dir);
  mkdirSync(join(dir, 'run'), { recursive: true });
  mkdirSync(join(dir, 'state'), { recursive: true });
  mkdirSync(join(dir, 'mail'), { recursive: true });
  chownSync(join(dir, 'mail'), mail.uid, mail.gid);
  // Password hashes: a memory-hard scheme by default (Mailstead stores scrypt hashes), PLAIN on request.
  const scheme = opts.scheme ?? 'ARGON2ID';
  const hash =
    scheme === 'PLAIN'
      ? '{PLAIN}pass'
      : spawnSync('doveadm', ['pw', '-s', scheme, '-p', 'pass'], { encoding: 'utf8' }).stdout.trim();
  if (!hash.startsWith('{')) throw new Error(`doveadm pw -s ${scheme} failed`);
  const users = (opts.users ?? ['user1']).map((u) => `${u}@example.test:${hash}::::::`).join('\n');
  writeFileSync(join(dir, 'users'), users + '\n');
  const conf = join(dir, 'dovecot.conf');
  writeFileSync(
    conf,
    `
base_dir = ${dir}/run
state_dir = ${dir}/state
listen = 127.0.0.1
protocols = imap lmtp
instance_name = ms-bench-${imaps}
log_path = ${dir}/dovecot.log
ssl = yes
ssl_cert = <${cert}
ssl_key = <${key}
disable_plaintext_auth = yes
auth_mechanisms = plain login
first_valid_uid = ${mail.uid}
mail_uid = ${mail.uid}
mail_gid = ${mail.gid}
mail_location = maildir:${dir}/mail/%d/%n
mail_fsync = ${opts.fsync ?? 'optimized'}
lmtp_save_to_detail_mailbox = no
lda_mailbox_autocreate = yes
default_client_limit = 4000
default_process_limit = 2000
passdb {
  driver = passwd-file
  args = username_format=%u ${dir}/users
}
userdb {
  driver = static
  args = uid=${mail.uid} gid=${mail.gid} home=${dir}/mail/%d/%n
}
service imap-login {
  inet_listener imap {
    port = 0
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${imaps}
    ssl = yes
  }
  process_min_avail = 2
  service_count = 0
  client_limit = 4000
}
service imap {
  process_limit = 2000${opts.imapReuse ? `
  # Dovecot's own advice for busy servers: keep imap processes and reuse them for later sessions
  # instead of starting one per login (every session runs as the one mail uid here, so it is safe).
  service_count = 0
  process_min_avail = ${opts.imapReuse}` : ''}
}
service lmtp {
  inet_listener lmtp {
    address = 127.0.0.1
    port = ${lmtp}
  }
}
protocol lmtp {
  mail_plugins = $mail_plugins${opts.sieve ? ' sieve' : ''}
}
imap_idle_notify_interval = 2 mins
${opts.sieve ? `plugin {\n  sieve = file:${dir}/sieve;active=${opts.sieve}\n}` : ''}
`,
  );
  const proc = spawn('/usr/sbin/dovecot', ['-F', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  process.on('exit', () => proc.exitCode === null && proc.kill('SIGTERM'));
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const exited = new Promise((r) => proc.once('exit', r));
  try {
    await Promise.race([waitPort(imaps, 20_000), exited.then(() => Promise.reject(new Error(`dovecot exited: ${out}`)))]);
    await waitPort(lmtp, 10_000);
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
  return {
    dir,
    conf,
    ports: { imaps, lmtp },
    mailDir: join(dir, 'mail'),
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await Promise.race([exited, sleep(10_000)]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const QUEUE_DIRS = ['active', 'bounce', 'corrupt', 'defer', 'deferred', 'flush', 'hold', 'incoming', 'pid', 'private', 'saved', 'trace'];

/** Postfix as an MX for example.test on its own port, delivering to Dovecot over LMTP. */
export async function startPostfix(opts) {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'ms-ref-postfix-'));
  chmodSync(dir, 0o755); // postfix drops to its own user to reach the queue and data directories
  const pf = ids('postfix');
  const postdrop = Number(spawnSync('getent', ['group', 'postdrop'], { encoding: 'utf8' }).stdout.split(':')[2]);
  const smtp = await freePort();
  const conf = join(dir, 'conf');
  const q = join(dir, 'queue');
  const data = join(dir, 'data');
  for (const d of [conf, q, data]) mkdirSync(d, { recursive: true });
  chownSync(data, pf.uid, pf.gid);
  for (const d of QUEUE_DIRS) {
    mkdirSync(join(q, d));
    chownSync(join(q, d), pf.uid, pf.gid);
  }
  mkdirSync(join(q, 'public'));
  chownSync(join(q, 'public'), pf.uid, postdrop);
  mkdirSync(join(q, 'maildrop'));
  chownSync(join(q, 'maildrop'), pf.uid, postdrop);
  const users = (opts.users ?? ['user1']).map((u) => `${u}@example.test OK`).join('\n');
  writeFileSync(join(conf, 'vmailbox'), users + '\n');
  writeFileSync(
    join(conf, 'main.cf'),
    `
compatibility_level = 3.6
queue_directory = ${q}
data_directory = ${data}
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
meta_directory = ${conf}
mail_owner = postfix
setgid_group = postdrop
myhostname = ref.example.test
mydomain = example.test
myorigin = ref.example.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
virtual_mailbox_domains = example.test
virtual_mailbox_maps = texthash:${conf}/vmailbox
virtual_transport = lmtp:inet:127.0.0.1:${opts.lmtpPort}
smtpd_recipient_restrictions = reject_unauth_destination
smtpd_relay_restrictions = reject_unauth_destination
smtpd_helo_required = yes
disable_dns_lookups = yes
smtp_host_lookup = native
maillog_file_prefixes = ${dir}
maillog_file = ${data}/postfix.log
default_process_limit = 200
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
in_flow_delay = 0
lmtp_destination_concurrency_limit = 20
biff = no
`,
  );
  writeFileSync(
    join(conf, 'master.cf'),
    `
127.0.0.1:${smtp} inet n - n - - smtpd
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
lmtp      unix - - n - - lmtp
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
`,
  );
  const proc = spawn('/usr/lib/postfix/sbin/master', ['-c', conf, '-d'], { stdio: ['ignore', 'pipe', 'pipe'] });
  process.on('exit', () => proc.exitCode === null && proc.kill('SIGTERM'));
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (out += d));
  const exited = new Promise((r) => proc.once('exit', r));
  try {
    await Promise.race([waitPort(smtp, 20_000), exited.then(() => Promise.reject(new Error(`postfix exited: ${out}`)))]);
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
  return {
    dir,
    ports: { smtp },
    log: () => spawnSync('cat', [join(data, 'postfix.log')], { encoding: 'utf8' }).stdout,
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await Promise.race([exited, sleep(10_000)]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
