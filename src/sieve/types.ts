import type { Extension } from './extension.js';

/**
 * Public types of the Sieve engine: the compiled program (JSON-serialisable), the
 * events the runtime yields to its host, the actions it returns and the options of both.
 */

/** One piece of a string that needs run-time expansion (variables extension). */
export type TemplatePart = string | { readonly v: string } | { readonly m: number };

/** A compiled string: a literal, or a template to expand at run time. */
export type CStr = string | { readonly t: readonly TemplatePart[] };

/** A compiled argument or tag value. */
export type CValue = readonly CStr[] | number | true;

/** One compiled command or test. */
export interface CNode {
  /** Command or test name (lower case). */
  readonly id: string;
  /** Tagged arguments by tag name (without colon). */
  readonly tags: Readonly<Record<string, CValue>>;
  /** Positional arguments in order. */
  readonly args: readonly CValue[];
  /** Sub-tests (if: the condition; not/anyof/allof: operands). */
  readonly tests?: readonly CNode[];
  readonly block?: readonly CNode[];
  /** if/elsif/else chains are compiled into one node with branches. */
  readonly branches?: readonly { readonly test: CNode; readonly block: readonly CNode[] }[];
  readonly elseBlock?: readonly CNode[];
  /** Extra compile-time data a command stores for its runtime (e.g. a validated regex). */
  readonly data?: unknown;
  readonly line: number;
}

/** The compiled program. Store it as JSON; recompile when `engine` changes. */
export interface CompiledScript {
  readonly engine: number;
  readonly name: string;
  /** Capabilities named in `require`. */
  readonly requires: readonly string[];
  readonly body: readonly CNode[];
}

export interface CompileErrorInfo {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export type CompileResult =
  | { readonly ok: true; readonly script: CompiledScript; readonly warnings: CompileErrorInfo[] }
  | { readonly ok: false; readonly errors: CompileErrorInfo[]; readonly warnings: CompileErrorInfo[] };

export interface SieveLimits {
  /** Maximum script size in bytes (UTF-8). */
  readonly maxScriptSize: number;
  /** Maximum nesting of blocks and of tests. */
  readonly maxNesting: number;
  /** Maximum number of actions in a result. */
  readonly maxActions: number;
  readonly maxRedirects: number;
  readonly maxNotifications: number;
  /** Interpreter steps (commands + tests + match attempts) before the script is aborted. */
  readonly maxSteps: number;
  /**
   * Wall-clock seconds one execution may take before it is aborted (Pigeonhole's
   * sieve_max_cpu_time); checked between interpreter steps. 0 = no limit.
   */
  readonly maxCpuTime: number;
  readonly maxIncludeDepth: number;
  readonly maxIncludes: number;
  readonly maxVariables: number;
  /** Maximum length of one variable value (longer values are truncated). */
  readonly maxVariableSize: number;
  readonly maxStringLength: number;
  readonly maxMatchVariables: number;
}

export const DEFAULT_LIMITS: SieveLimits = {
  maxScriptSize: 1 << 20,
  maxNesting: 32,
  maxActions: 32,
  maxRedirects: 4,
  maxNotifications: 12,
  maxSteps: 1_000_000,
  maxCpuTime: 30,
  maxIncludeDepth: 10,
  maxIncludes: 255,
  maxVariables: 255,
  maxVariableSize: 4096,
  maxStringLength: 1 << 20,
  maxMatchVariables: 32,
};

export interface Envelope {
  /** MAIL FROM without angle brackets; '' is the null sender. */
  readonly from: string;
  /** RCPT TO (final recipient). */
  readonly to: string;
  /** Original recipient (ORCPT); defaults to `to`. */
  readonly origTo?: string;
  /** Authenticated submitter, if any. */
  readonly auth?: string;
}

/** Flags, copy state and header edits that apply to one delivered copy. */
export interface DeliveryCopy {
  /** IMAP flags to set (imap4flags), normalised and de-duplicated; undefined = none. */
  readonly flags?: readonly string[];
  /** Header section of the copy when editheader changed it; undefined = unchanged. */
  readonly headers?: readonly { readonly name: string; readonly value: string; readonly raw: string }[];
}

export type SieveAction =
  | ({ readonly type: 'keep' } & DeliveryCopy)
  | ({
      readonly type: 'fileinto';
      readonly mailbox: string;
      readonly copy: boolean;
      readonly create: boolean;
      readonly specialUse?: string;
    } & DeliveryCopy)
  | ({ readonly type: 'redirect'; readonly address: string; readonly copy: boolean } & DeliveryCopy)
  | { readonly type: 'discard' }
  | { readonly type: 'reject'; readonly reason: string; readonly extended: boolean }
  | VacationAction
  | NotifyAction;

export interface VacationAction {
  readonly type: 'vacation';
  /** Who the reply goes to (the envelope sender). */
  readonly to: string;
  readonly seconds: number;
  readonly subject?: string;
  readonly from?: string;
  readonly handle?: string;
  /** Key for the host's "already replied" tracking: handle, or derived from the arguments. */
  readonly trackingKey: string;
  readonly reason: string;
  readonly mime: boolean;
  readonly addresses: readonly string[];
  /** False when RFC 5230/3834 rules say no reply must be sent; `suppressedBecause` says why. */
  readonly send: boolean;
  readonly suppressedBecause?: string;
  /** The reply's decoded Subject and its From address (set when `send`). */
  readonly replySubject: string;
  readonly replyFrom: string;
  /** Message-ID of the original, for In-Reply-To/References. */
  readonly inReplyTo?: string;
}

export interface NotifyAction {
  readonly type: 'notify';
  readonly method: string;
  readonly uri: string;
  readonly importance: number;
  readonly from?: string;
  readonly options: readonly string[];
  readonly message?: string;
  /** Parsed mailto: recipients and headers (method "mailto"). */
  readonly mailto?: {
    readonly to: readonly string[];
    readonly cc: readonly string[];
    readonly bcc: readonly string[];
    /** To/Cc as written in the URI (display names kept) for the message headers. */
    readonly display: { readonly to: readonly string[]; readonly cc: readonly string[] };
    readonly subject?: string;
    readonly body?: string;
    readonly headers: readonly { readonly name: string; readonly value: string }[];
  };
}

export interface SieveRuntimeError {
  readonly line: number;
  readonly message: string;
}

/** What `run` returns when the generator finishes. */
export interface SieveResult {
  /** 'error' means the script failed; the host must fall back to `implicitKeep`. */
  readonly status: 'ok' | 'error';
  readonly actions: readonly SieveAction[];
  /** For each action (same index): the script and line that produced it. */
  readonly origins: readonly { readonly script: string; readonly line: number }[];
  /** Set when the implicit keep is still in effect. */
  readonly implicitKeep: DeliveryCopy | null;
  readonly errors: readonly SieveRuntimeError[];
  /** Duplicate ids to record once delivery succeeded (duplicate extension). */
  readonly duplicateMarks: readonly { readonly id: string; readonly seconds: number }[];
}

/**
 * Questions the runtime yields. The host resumes the generator with the answer type
 * given for each event (see `EventAnswer`).
 */
export type SieveEvent =
  | { readonly type: 'mailbox-exists'; readonly mailbox: string }
  | { readonly type: 'special-use-exists'; readonly mailbox: string | null; readonly flag: string }
  | { readonly type: 'duplicate'; readonly id: string; readonly seconds: number; readonly last: boolean }
  | {
      readonly type: 'include';
      readonly location: 'personal' | 'global';
      readonly name: string;
      readonly optional: boolean;
    }
  | { readonly type: 'environment'; readonly name: string }
  | { readonly type: 'current-date' }
  | { readonly type: 'metadata'; readonly mailbox: string | null; readonly entry: string };

/**
 * Answers: mailbox-exists/special-use-exists/duplicate → boolean (duplicate: true when
 * the id was seen before); include → `IncludeAnswer`; environment → string or null;
 * current-date → Date; metadata → string or null.
 */
export type IncludeAnswer =
  | { readonly ok: true; readonly script: CompiledScript }
  | { readonly ok: false; readonly missing: boolean; readonly error?: string };

export interface SpamTestConfig {
  /** Header holding the score, with an optional regex ("X-Spam-Score: (.*)"). */
  readonly header: string;
  readonly type: 'score' | 'strlen' | 'text';
  readonly maxValue?: number;
  /** Header holding the maximum score (spamtest). */
  readonly maxHeader?: string;
  /** For type "text": value 0..10 for text. */
  readonly textValues?: Readonly<Record<string, string>>;
}

export interface RunOptions {
  readonly limits?: Partial<SieveLimits>;
  /** Envelope recipient's own addresses (vacation "is it for me" check). */
  readonly userAddresses?: readonly string[];
  /** Subaddress separator characters (default "+"). */
  readonly recipientDelimiter?: string;
  readonly vacation?: {
    readonly defaultPeriod?: number;
    readonly minPeriod?: number;
    readonly maxPeriod?: number;
    readonly defaultSubject?: string;
    /** "%$" or "%{subject}" stands for the original subject. */
    readonly subjectTemplate?: string;
    /** Also count the original recipient (ORCPT) as "me" (default false). */
    readonly useOriginalRecipient?: boolean;
    /** Require one of "my" addresses in To/Cc/Bcc (default true). */
    readonly checkRecipient?: boolean;
    /** Reply subjects longer than this many code points are cut with an ellipsis (default 256). */
    readonly maxSubjectLength?: number;
  };
  readonly spamtest?: SpamTestConfig;
  readonly virustest?: SpamTestConfig;
  /** Header names editheader must refuse to touch (lower case). */
  readonly protectedHeaders?: readonly string[];
  /** Lower-case header names editheader may not add / delete. */
  readonly forbidAddHeaders?: readonly string[];
  readonly forbidDeleteHeaders?: readonly string[];
  readonly maxHeaderSize?: number;
  /** Extra extensions (the test harness registers vnd.dovecot.testsuite here). */
  readonly extensions?: readonly Extension[];
  /** Global variables shared across includes (created when absent). */
  readonly globals?: Map<string, string>;
}

/** Source of an included script by location and name, or null when it does not exist. */
export type IncludeLoader = (location: 'personal' | 'global', name: string) => string | null;

export interface CompileOptions {
  readonly name?: string;
  readonly limits?: Partial<SieveLimits>;
  /** Capabilities to offer (default: all built-in ones). */
  readonly capabilities?: readonly string[];
  /** Extra extensions (test harness only). */
  readonly extensions?: readonly Extension[];
  /** Pass the same extensions to `run` that were used to compile. */
  readonly isIncluded?: boolean;
  /**
   * Resolves `include` at compile time, as Pigeonhole does: returns the included script's
   * source, or null when it does not exist. With it, a missing (non-optional) script, a
   * circular include, too deep nesting, too many included scripts and an included script that
   * does not compile are compile errors. Without it, includes are resolved at run time only.
   */
  readonly includeLoader?: IncludeLoader;
  /**
   * The script is being uploaded (ManageSieve PUTSCRIPT/CHECKSCRIPT), as Pigeonhole's
   * SIEVE_COMPILE_FLAG_UPLOADED: a missing included script is a warning ("ignored during
   * upload", RFC 5804 allows storing it), and so is a circular include unless `activated`.
   */
  readonly uploaded?: boolean;
  /** The script is (or replaces) the active one: circular includes stay errors on upload. */
  readonly activated?: boolean;
  /** editheader: a literal addheader value longer than this many bytes is a compile error. */
  readonly maxHeaderSize?: number;
  /** Internal (nested include compiles): the scripts being compiled, outermost first. */
  readonly includeChain?: readonly string[];
  /** Internal (nested include compiles): scripts already included anywhere in this compile. */
  readonly includedScripts?: Set<string>;
}
