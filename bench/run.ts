// `npm run bench`: every benchmark, each against a peer tool in the same run, printing ratios.
// `npm run bench -- seeding` (or `startup`, `swarm`) runs just that one.
import { benchSeeding } from './seeding.ts';
import { benchStartup } from './startup.ts';
import { benchSwarm } from './swarm.ts';

const benchmarks: Record<string, () => Promise<void>> = { startup: benchStartup, seeding: benchSeeding, swarm: benchSwarm };
const chosen = process.argv.slice(2);
for (const name of chosen) if (!(name in benchmarks)) throw new Error(`no benchmark named ${name}; there are ${Object.keys(benchmarks).join(', ')}`);
for (const [name, bench] of Object.entries(benchmarks)) if (chosen.length === 0 || chosen.includes(name)) await bench();
