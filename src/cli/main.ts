// `mailstead <serve|admin|sieve|version>`: parses the command line and hands over; returns the exit code.
import { loadConfig, ConfigError, type Config } from '../server/config.js';
import { silentLogger } from '../server/logger.js';
import { DataDirLockedError } from '../server/lock.js';
import { MailError } from '../core/errors.js';
import { parseArgs, UsageError } from './args.js';
import { adminCommand, ADMIN_USAGE } from './admin-command.js';
import { openCore } from './compose.js';
import { serve, VERSION } from './serve.js';
import { WorkerStartError } from './cluster.js';

const USAGE = `usage: mailstead <command>

  serve --config FILE         run every service the config enables
  admin ... --config FILE     manage domains, addresses, aliases, plans (mailstead admin --help)
  sieve run|testsuite ...     run Sieve scripts (mailstead sieve --help)
  version`;

/** Pulls --config out of argv (it may appear anywhere), leaving the rest. */
function takeConfig(argv: string[]): { file: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config') {
      file = argv[++i];
      if (file === undefined) throw new UsageError('option --config needs a value');
    } else if (a.startsWith('--config=')) file = a.slice(9);
    else rest.push(a);
  }
  return { file, rest };
}

function config(file: string | undefined): Config {
  return loadConfig(file ?? 'mailstead.toml');
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'serve': {
        const { file, rest: r } = takeConfig(rest);
        parseArgs(r, []);
        return await serve(config(file));
      }
      case 'admin': {
        const { file, rest: r } = takeConfig(rest);
        if (r.length === 0 || r[0] === '--help' || r[0] === 'help') {
          console.log(ADMIN_USAGE);
          return r.length === 0 ? 2 : 0;
        }
        const core = await openCore(config(file), silentLogger());
        try {
          await adminCommand(core, r, (line) => console.log(line));
        } finally {
          await core.store.close();
        }
        return 0;
      }
      case 'sieve': {
        const { sieveCommand } = await import('./sieve-command.js');
        return await sieveCommand(rest);
      }
      case 'version':
      case '--version':
        console.log(`mailstead ${VERSION}`);
        return 0;
      case undefined:
      case 'help':
      case '--help':
        console.log(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command: ${cmd}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`mailstead: ${e.message} (see mailstead ${cmd === 'admin' ? 'admin ' : ''}--help)`);
      return 2;
    }
    if (
      e instanceof MailError ||
      e instanceof ConfigError ||
      e instanceof DataDirLockedError ||
      e instanceof WorkerStartError
    ) {
      console.error(`mailstead: ${e.message}`);
      return 1;
    }
    console.error(`mailstead: unexpected error: ${(e as Error).stack ?? String(e)}`);
    return 1;
  }
}
