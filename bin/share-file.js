#!/usr/bin/env node
// Entry point: check the Node version, then hand over to the built CLI.
var major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  process.stderr.write('error: share-file needs Node.js 22 or newer, and this is Node.js ' + process.versions.node + '; install a current Node.js (24 LTS is fine) and try again\n');
  process.exitCode = 1;
} else {
  import('../dist/cli.js').then(function (cli) { return cli.cli(); });
}
