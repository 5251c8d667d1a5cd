// The build: one esbuild bundle of share-file and every runtime dependency, so the published
// package installs with no dependencies, no install scripts and no native code.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const dist = path.join(root, 'dist');

await rm(dist, { recursive: true, force: true });
const result = await build({
  absWorkingDir: root,
  // The hash worker is its own entry: worker threads load it by URL, next to the CLI.
  entryPoints: { cli: 'src/cli.ts', 'hash-worker': 'src/hashing/hash-worker.ts' },
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
  banner: {
    // Bundled CommonJS dependencies call require() for Node's own modules.
    js: "import { createRequire as __shareFileRequire } from 'node:module'; const require = __shareFileRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
console.log(`dist/: ${Object.keys(result.metafile.outputs).length} files, ${(bytes / 1024).toFixed(0)} KiB`);
