// `npm run bench`: every benchmark, each against a peer tool in the same run, printing ratios.
// `npm run bench -- seeding` (or `startup`, `swarm`) runs just that one. `clients` (every BitTorrent
// client against share-file and libtorrent, many minutes) runs only when named; names after it pick clients.
import { benchClients } from './clients.ts';
import { benchSeeding } from './seeding.ts';
import { benchStartup } from './startup.ts';
import { benchSwarm } from './swarm.ts';

const benchmarks: Record<string, () => Promise<void>> = { startup: benchStartup, seeding: benchSeeding, swarm: benchSwarm };
const args = process.argv.slice(2);
const clientsAt = args.indexOf('clients');
const chosen = clientsAt < 0 ? args : args.slice(0, clientsAt);
for (const name of chosen) if (!(name in benchmarks)) throw new Error(`no benchmark named ${name}; there are ${[...Object.keys(benchmarks), 'clients'].join(', ')}`);
for (const [name, bench] of Object.entries(benchmarks)) if ((chosen.length === 0 && clientsAt < 0) || chosen.includes(name)) await bench();
if (clientsAt >= 0) await benchClients(args.slice(clientsAt + 1));
