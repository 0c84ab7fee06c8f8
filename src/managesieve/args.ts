// Reading a command's arguments with precise errors: strings must be UTF-8 (RFC 5804 §4, "string"
// holds UTF-8 text; scripts and names are UTF-8, §1.6, §2.6).
import { decodeUtf8 } from './proto/utf8.js';
import { describeArg, type MsArg } from './proto/tokens.js';

export class ArgError extends Error {}

export class ArgReader {
  private i = 0;
  constructor(private readonly args: readonly MsArg[]) {}

  get done(): boolean {
    return this.i >= this.args.length;
  }

  string(what: string): string {
    const a = this.args[this.i++];
    if (!a) throw new ArgError(`Missing ${what}`);
    if (a.kind !== 'string') throw new ArgError(`Expected ${what} as a string, got ${describeArg(a)}`);
    const s = decodeUtf8(a.value);
    if (s === null) throw new ArgError(`${what[0]!.toUpperCase()}${what.slice(1)} is not valid UTF-8`);
    return s;
  }

  bytes(what: string): Buffer {
    const a = this.args[this.i++];
    if (!a) throw new ArgError(`Missing ${what}`);
    if (a.kind !== 'string') throw new ArgError(`Expected ${what} as a string, got ${describeArg(a)}`);
    return a.value;
  }

  number(what: string): number {
    const a = this.args[this.i++];
    if (!a) throw new ArgError(`Missing ${what}`);
    if (a.kind !== 'number') throw new ArgError(`Expected ${what} as a number, got ${describeArg(a)}`);
    return a.value;
  }

  end(): void {
    if (!this.done) throw new ArgError('Too many arguments');
  }
}
