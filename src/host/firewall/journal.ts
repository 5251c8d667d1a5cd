// What share-file added where nothing can carry its tag (firewalld's ports and rich rules): one file
// per process, `<cache>/firewall/<pid>.json`, listing how to ask for and remove each entry. It is
// written before each entry is added and shrinks as each is removed, so after kill -9 the next start
// knows what the dead process left.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ToolCommand } from './tools.ts';

export interface JournalEntry {
  query: ToolCommand;
  close: ToolCommand;
  port: number;
  place: string;
}

export class Journal {
  readonly #file: string;
  readonly #entries: JournalEntry[] = [];

  constructor(folder: string, pid: number) {
    this.#file = path.join(folder, `${pid}.json`);
  }

  async add(entry: JournalEntry): Promise<void> {
    this.#entries.push(entry);
    await this.#save();
  }

  async remove(entry: JournalEntry): Promise<void> {
    this.#entries.splice(this.#entries.indexOf(entry), 1);
    await this.#save();
  }

  async #save(): Promise<void> {
    if (this.#entries.length === 0) return rm(this.#file, { force: true });
    await mkdir(path.dirname(this.#file), { recursive: true, mode: 0o700 });
    await writeFile(this.#file, `${JSON.stringify({ entries: this.#entries })}\n`, { mode: 0o600 });
  }
}

export interface LeftJournal {
  pid: number;
  entries: JournalEntry[];
  file: string;
}

/** Every journal in the folder but those of running processes' (decided by the caller). */
export async function readJournals(folder: string): Promise<LeftJournal[]> {
  const names = await readdir(folder).catch(() => [] as string[]);
  const journals: LeftJournal[] = [];
  for (const name of names) {
    const match = /^(\d+)\.json$/.exec(name);
    if (!match) continue;
    const file = path.join(folder, name);
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as { entries?: unknown };
      const entries = Array.isArray(parsed.entries) ? parsed.entries.filter(isEntry) : [];
      journals.push({ pid: Number(match[1]), entries, file });
    } catch {
      // Unreadable or cut short: nothing in it can be trusted, and nothing is removed by it.
    }
  }
  return journals;
}

/** A journal is read back from disk: only firewall-cmd commands made of strings are ever run. */
function isEntry(value: unknown): value is JournalEntry {
  const entry = value as JournalEntry;
  const isCommand = (command: ToolCommand | undefined): boolean =>
    command?.tool === 'firewall-cmd' && Array.isArray(command.args) && command.args.every((arg) => typeof arg === 'string' && arg.startsWith('--'));
  return typeof entry === 'object' && entry !== null && isCommand(entry.query) && isCommand(entry.close) && typeof entry.port === 'number' && typeof entry.place === 'string';
}
