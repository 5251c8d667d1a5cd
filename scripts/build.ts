// The build: one esbuild bundle of share-file and every runtime dependency, so the published
// package installs with no dependencies, no install scripts and no native code.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');

/**
 * Transports share-file never uses, which bittorrent-tracker imports anyway: WebSocket trackers and
 * WebRTC peers (only http(s):// and udp:// announce URLs are accepted), its WebSocket server (run with
 * `ws: false`) and SOCKS proxies (never configured). Evaluating them cost the network half 40-60 ms
 * on the main thread while the workers hash, most of it because simple-websocket reads the global
 * WebSocket, which makes Node load its whole fetch implementation (undici). The stand-ins in
 * stubs/unused/ fail loudly if anything ever reaches them.
 */
const UNUSED_TRANSPORTS: Array<{ importer: RegExp; path: RegExp; stub: string }> = [
  { importer: /node_modules\/bittorrent-tracker\//, path: /^\.\/lib\/client\/websocket-tracker\.js$/, stub: 'websocket-tracker.js' },
  { importer: /node_modules\/bittorrent-tracker\//, path: /^@thaunknown\/simple-peer\/lite\.js$/, stub: 'simple-peer.js' },
  { importer: /node_modules\/bittorrent-tracker\//, path: /^ws$/, stub: 'ws.js' },
  { importer: /node_modules\/bittorrent-tracker\//, path: /^socks$/, stub: 'socks.js' },
];

const leaveOutUnusedTransports: Plugin = {
  name: 'leave-out-unused-transports',
  setup(builder) {
    builder.onResolve({ filter: /^(\.\/lib\/client\/websocket-tracker\.js|@thaunknown\/simple-peer\/lite\.js|ws|socks)$/ }, (args) => {
      const unused = UNUSED_TRANSPORTS.find((entry) => entry.path.test(args.path) && entry.importer.test(args.importer));
      return unused ? { path: path.join(root, 'stubs', 'unused', unused.stub) } : undefined;
    });
  },
};

await rm(dist, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  // The hash worker is its own entry: worker threads load it by URL, next to the CLI. The bin shim
  // loads hash-pool before the CLI, to start the workers first; the CLI shares its module instance.
  entryPoints: { cli: 'src/cli.ts', 'hash-worker': 'src/hashing/hash-worker.ts', 'hash-pool': 'src/hashing/hash-pool.ts' },
  outdir: dist,
  bundle: true,
  // Code splitting keeps the dynamic imports lazy: `--version` loads none of the network code.
  splitting: true,
  chunkNames: 'chunk-[hash]',
  format: 'esm',
  platform: 'node',
  target: 'node22',
  minify: true,
  sourcemap: true,
  metafile: true,
  legalComments: 'linked',
  alias: {
    // WebRTC is never used, and Node has its own fetch; see the stand-ins' own comments.
    'webrtc-polyfill': './stubs/webrtc-polyfill/index.js',
    'cross-fetch-ponyfill': './stubs/cross-fetch-ponyfill/index.js',
  },
  // ws loads these optional native speed-ups inside try/catch; without them it uses plain JS.
  external: ['bufferutil', 'utf-8-validate'],
  plugins: [leaveOutUnusedTransports],
  banner: {
    // Bundled CommonJS dependencies call require() for Node's own modules.
    js: "import { createRequire as __shareFileRequire } from 'node:module'; const require = __shareFileRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
console.log(`dist/: ${Object.keys(result.metafile.outputs).length} files, ${(bytes / 1024).toFixed(0)} KiB`);
