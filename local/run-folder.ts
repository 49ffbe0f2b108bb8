/**
 * Each local run writes under a folder of its own, `<out>/<execution name>/`, which no other run shares:
 * it is claimed with a lock file beside it (`<out>/.<name>.lock`, holding the process id), emptied only
 * when an earlier local run wrote it (its RUN_FOLDER_MARKER file), and released when the run ends. A lock
 * whose process is gone is taken over.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalRunRefused, RUN_FOLDER_MARKER } from './limits';

export interface RunFolder {
  readonly dir: string;
  /** Gives the folder up (its files stay). */
  release(): void;
}

export function claimRunFolder(outDir: string, name: string): RunFolder {
  const dir = path.join(path.resolve(outDir), name);
  const lock = path.join(path.resolve(outDir), `.${name}.lock`);
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  takeLock(lock, dir);
  let held = true;
  const release = () => {
    if (held) fs.rmSync(lock, { force: true });
    held = false;
  };
  try {
    const existing = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
    if (existing.length > 0 && !existing.includes(RUN_FOLDER_MARKER))
      throw new LocalRunRefused(
        `${dir} holds files no local run wrote (it has no ${RUN_FOLDER_MARKER} file): not emptying it; ` +
          'choose another --name or --out',
      );
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, RUN_FOLDER_MARKER), `${name}\n`);
  } catch (err) {
    release();
    throw err;
  }
  return { dir, release };
}

function takeLock(lock: string, dir: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lock, `${process.pid}\n`, { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(fs.readFileSync(lock, 'utf8'));
    if (holder !== process.pid && isAlive(holder))
      throw new LocalRunRefused(
        `another local run (process ${holder}) is writing ${dir}: wait for it to end, or choose another --name`,
      );
    if (holder === process.pid)
      throw new LocalRunRefused(`a local run in this process is writing ${dir}: choose another name`);
    fs.rmSync(lock, { force: true });
  }
  throw new LocalRunRefused(`could not claim ${dir}: another local run keeps taking it`);
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
