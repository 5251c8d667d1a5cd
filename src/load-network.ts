// The network half of share-file (firewall, tracker, HTTP server, seeder), loaded on demand: the
// bundle splits it off so that `--version`, bad input and the hashing phase do not pay for it.
import type * as Firewall from './host/firewall.ts';
import type * as HttpServer from './http/server.ts';
import type * as Seeder from './seeding/seeder.ts';
import type * as Tracker from './http/tracker.ts';

export interface NetworkModules {
  firewall: typeof Firewall;
  tracker: typeof Tracker;
  seeder: typeof Seeder;
  httpServer: typeof HttpServer;
}

/** Loads the network half once, whoever asks first; later calls get the same promise. */
export function networkLoader(): () => Promise<NetworkModules> {
  let loading: Promise<NetworkModules> | undefined;
  return () => {
    loading ??= Promise.all([import('./host/firewall.ts'), import('./http/tracker.ts'), import('./seeding/seeder.ts'), import('./http/server.ts')]).then(
      ([firewall, tracker, seeder, httpServer]) => ({ firewall, tracker, seeder, httpServer }),
    );
    // A failure surfaces where the modules are awaited, not as an unhandled rejection here.
    loading.catch(() => {});
    return loading;
  };
}
