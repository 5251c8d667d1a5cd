#!/usr/bin/env node
// Entry point: check the Node version, then hand over to the bundled CLI.
var major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write('error: share-file needs Node.js 22 or newer, and this is Node.js ' + process.versions.node + '; install a current Node.js (24 LTS is fine) and try again\n');
  process.exitCode = 1;
} else {
  // The bundle is minified; its source maps turn stack traces of real bugs back into src/ lines.
  process.setSourceMapsEnabled(true);
  import('../dist/cli.js').then(function (cli) { return cli.cli(); });
}
