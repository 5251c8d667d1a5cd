// `npm run bench`: every benchmark, each against a peer tool in the same run, printing ratios.
// `npm run bench -- seeding` (or `startup`, `swarm`, `uplink`) runs just that one; words after a
// benchmark's name are its own (`-- uplink 8`: eight recipients). `clients` (every BitTorrent client
// against share-file and libtorrent, many minutes) runs only when named; names after it pick clients.
import { benchClients } from './clients.ts';
import { benchSeeding } from './seeding.ts';
import { benchStartup } from './startup.ts';
import { benchSwarm } from './swarm.ts';
import { benchUplink } from './uplink.ts';

const benchmarks: Record<string, (args: string[]) => Promise<void>> = { startup: benchStartup, seeding: benchSeeding, swarm: benchSwarm, uplink: benchUplink, clients: benchClients };
/** Run by `npm run bench` with no names: all but the long ones. */
const byDefault = ['startup', 'seeding', 'swarm', 'uplink'];
const chosen = new Map<string, string[]>();
let current: string[] | undefined;
for (const word of process.argv.slice(2)) {
  if (word in benchmarks) chosen.set(word, (current = []));
  else if (current) current.push(word);
  else throw new Error(`no benchmark named ${word}; there are ${Object.keys(benchmarks).join(', ')}`);
}
for (const [name, bench] of Object.entries(benchmarks)) if (chosen.size === 0 ? byDefault.includes(name) : chosen.has(name)) await bench(chosen.get(name) ?? []);
