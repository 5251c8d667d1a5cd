// `npm run bench`: every benchmark, each against a peer tool in the same run, printing ratios.
import { benchStartup } from './startup.ts';

await benchStartup();
