/**
 * Mutable state of one `.svtest` run: the simulated mail store, SMTP outbox, error
 * log, settings overrides, the compiled sub-script. Pure: file access comes through `io`.
 */
import type { CompiledScript, RunOptions, SpamTestConfig } from '../types.js';
import type { OutgoingMessage } from './compose.js';

export interface TestsuiteIO {
  /** File contents, or null when missing. */
  readFile(path: string): Uint8Array | null;
}

export interface StoredMessage {
  raw: Uint8Array;
  flags: string[];
}

export const DEFAULT_MESSAGE =
  'From: sender@example.com\r\nTo: recipient@example.org\r\nSubject: Frop!\r\n\r\nFriep!\r\n';

export class TestsuiteState {
  readonly mailboxes = new Map<string, StoredMessage[]>([['INBOX', []]]);
  smtp: OutgoingMessage[] = [];
  errors: string[] = [];
  compiled: CompiledScript | null = null;
  compiledDir = '';
  binaries = new Map<string, { script: CompiledScript; dir: string }>();
  readonly config = new Map<string, string>();
  executed = 0;
  implicitKeepDone = false;
  blockNumber = 0;
  failed = 0;
  readonly output: string[] = [];
  /** Options object shared with the runtime; reloads mutate it in place. */
  readonly options: {
    -readonly [K in keyof RunOptions]: RunOptions[K];
  };

  constructor(
    readonly file: string,
    readonly dir: string,
    readonly io: TestsuiteIO,
  ) {
    this.options = {};
    this.reload();
  }

  /** Script storages for `include` (README §1): `included/` and `included-global/` beside the test. */
  readonly includeLoader = (location: 'personal' | 'global', name: string): string | null => {
    const sub = location === 'global' ? 'included-global' : 'included';
    const src = this.io.readFile(`${this.dir}/${sub}/${name}.sieve`);
    return src ? Buffer.from(src).toString('utf8') : null;
  };

  get(name: string): string | undefined {
    return this.config.get(name);
  }

  /** Apply settings (Dovecot 2.4 names) to the run options. */
  reload(): void {
    const o = this.options;
    const num = (k: string): number | undefined => {
      const v = this.get(k);
      if (v === undefined) return undefined;
      const m = /^(\d+)\s*([smhdw]?)/.exec(v.trim());
      if (!m) return undefined;
      const mult = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2]!] ?? 1;
      return Number(m[1]) * mult;
    };
    const size = (k: string): number | undefined => {
      const v = this.get(k);
      if (v === undefined) return undefined;
      const m = /^(\d+)\s*([kKmMgG]?)/.exec(v.trim());
      if (!m) return undefined;
      const mult = { '': 1, k: 1024, m: 1 << 20, g: 1 << 30 }[m[2]!.toLowerCase()] ?? 1;
      return Number(m[1]) * mult;
    };
    o.recipientDelimiter = this.get('recipient_delimiter') ?? '+';
    const userEmail = this.get('sieve_user_email');
    o.userAddresses = userEmail ? [userEmail] : [];
    o.vacation = {
      defaultPeriod: num('sieve_vacation_default_period') ?? 7 * 86400,
      minPeriod: num('sieve_vacation_min_period') ?? 86400,
      maxPeriod: num('sieve_vacation_max_period') ?? 90 * 86400,
      useOriginalRecipient: this.bool('sieve_vacation_use_original_recipient', false),
      checkRecipient: this.bool('sieve_vacation_check_recipient', true),
      ...(this.get('sieve_vacation_default_subject') !== undefined
        ? { defaultSubject: this.get('sieve_vacation_default_subject')! }
        : {}),
      ...(this.get('sieve_vacation_default_subject_template') !== undefined
        ? { subjectTemplate: this.get('sieve_vacation_default_subject_template')! }
        : {}),
    };
    o.spamtest = this.testConfig('spamtest', 10);
    o.virustest = this.testConfig('virustest', 5);
    const limits: Record<string, number> = {};
    const vs = size('sieve_variables_max_variable_size') ?? size('sieve_variables_max_value_size');
    if (vs !== undefined) limits['maxVariableSize'] = vs;
    const inc = num('sieve_include_max_includes');
    if (inc !== undefined) limits['maxIncludes'] = inc;
    const depth = num('sieve_include_max_nesting_depth');
    if (depth !== undefined) limits['maxIncludeDepth'] = depth;
    const notif = num('sieve_notify_max_notifications');
    if (notif !== undefined) limits['maxNotifications'] = notif;
    const cpu = num('sieve_max_cpu_time');
    if (cpu !== undefined) limits['maxCpuTime'] = cpu;
    o.limits = limits;
    const forbidAdd: string[] = [];
    const forbidDelete: string[] = [];
    // Only the headers named in the `sieve_editheader_header` list are configured (a filter's
    // settings stay in the config when its name leaves the list, but no longer apply).
    const listed = new Set((this.get('sieve_editheader_header') ?? '').split(/\s+/).filter(Boolean));
    for (const [k, v] of this.config) {
      const m = /^sieve_editheader_header\/([^/]+)\/(forbid_add|forbid_delete)$/.exec(k);
      if (!m || !listed.has(m[1]!) || !/^(yes|true|1)$/i.test(v)) continue;
      const name = (this.get(`sieve_editheader_header/${m[1]}/name`) ?? m[1]!).toLowerCase();
      (m[2] === 'forbid_add' ? forbidAdd : forbidDelete).push(name);
    }
    o.forbidAddHeaders = forbidAdd;
    o.forbidDeleteHeaders = forbidDelete;
    const mh = size('sieve_editheader_max_header_size');
    if (mh !== undefined) o.maxHeaderSize = mh;
    else delete o.maxHeaderSize;
  }

  bool(k: string, def: boolean): boolean {
    const v = this.get(k);
    return v === undefined ? def : /^(yes|true|1)$/i.test(v.trim());
  }

  private testConfig(kind: 'spamtest' | 'virustest', top: number): SpamTestConfig | undefined {
    const header = this.get(`sieve_${kind}_status_header`);
    if (header === undefined) return undefined;
    const type = (this.get(`sieve_${kind}_status_type`) ?? 'score') as SpamTestConfig['type'];
    const maxV = this.get(`sieve_${kind}_score_max_value`) ?? this.get(`sieve_${kind}_max_value`);
    const maxHeader = this.get(`sieve_${kind}_score_max_header`) ?? this.get(`sieve_${kind}_max_header`);
    const textValues: Record<string, string> = {};
    for (let i = 0; i <= top; i++) {
      const t = this.get(`sieve_${kind}_text_value/${i}`) ?? this.get(`sieve_${kind}_text_value${i}`);
      if (t !== undefined) textValues[String(i)] = t;
    }
    return {
      header,
      type,
      ...(maxV !== undefined && !Number.isNaN(Number(maxV)) ? { maxValue: Number(maxV) } : {}),
      ...(maxHeader !== undefined ? { maxHeader } : {}),
      textValues,
    };
  }
}
