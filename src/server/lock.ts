// One server per data directory: a pid file created exclusively. A stale file (its process is gone,
// e.g. after SIGKILL) is taken over; a live one refuses the start with a clear message.
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'mailstead.pid');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (Number(readFileSync(file, 'utf8').trim()) === process.pid) unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let pid = NaN;
      try {
        pid = Number(readFileSync(file, 'utf8').trim());
      } catch {
        /* removed meanwhile */
      }
      if (alive(pid) && pid !== process.pid) {
        throw new DataDirLockedError(
          `another mailstead (pid ${pid}) is already serving the data directory ${dataDir}`,
        );
      }
      try {
        unlinkSync(file);
      } catch {
        /* someone else took it over; retry */
      }
    }
  }
  throw new DataDirLockedError(`could not lock the data directory ${dataDir}`);
}
