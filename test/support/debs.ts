// Debian packages unpacked (never installed) into a cache folder: firewalld and ufw, whose install
// would enable and start them on this very machine. `apt-get download` + `dpkg-deb -x`, once.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Shared between test runs: a fresh machine downloads once (`.ci/run` may fetch them ahead). */
export const DEB_CACHE = process.env.SHARE_FILE_TEST_DEBS ?? path.join(tmpdir(), 'share-file-test-debs');

/** Unpacks the packages into `<cache>/<name>/root` and returns that root. */
export async function unpackedDebs(name: string, packages: string[]): Promise<string> {
  const folder = path.join(DEB_CACHE, name);
  const root = path.join(folder, 'root');
  const done = path.join(folder, 'unpacked');
  if (existsSync(done)) return root;
  await rm(folder, { recursive: true, force: true });
  await mkdir(folder, { recursive: true });
  // As root, apt warns that its sandbox user cannot write here; the download works all the same.
  await run('apt-get', ['download', ...packages], { cwd: folder });
  for (const deb of (await readdir(folder)).filter((file) => file.endsWith('.deb'))) {
    await run('dpkg-deb', ['-x', path.join(folder, deb), root]);
  }
  await writeFile(done, `${packages.join(' ')}\n`);
  return root;
}

/** Where the unpacked Python modules are, for PYTHONPATH. */
export function pythonPath(root: string): string {
  return path.join(root, 'usr', 'lib', 'python3', 'dist-packages');
}
