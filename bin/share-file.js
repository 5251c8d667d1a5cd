#!/usr/bin/env node
// Entry point: check the Node version, then hand over to the bundled CLI.
// The same minimum as package.json's `engines` (a unit test keeps the two equal): commander, the
// argument parser bundled in dist/, needs 22.12.
var MINIMUM = '22.12.0';
function atLeast(version, minimum) {
  var have = version.split('.').map(Number);
  var need = minimum.split('.').map(Number);
  for (var index = 0; index < need.length; index++) if (have[index] !== need[index]) return have[index] > need[index];
  return true;
}
if (!atLeast(process.versions.node, MINIMUM)) {
  process.stderr.write('error: share-file needs Node.js ' + MINIMUM + ' or newer, and this is Node.js ' + process.versions.node + '; install a current Node.js (24 LTS is fine) and try again\n');
  process.exitCode = 1;
} else {
  // The bundle ships source maps; they are read only with NODE_OPTIONS=--enable-source-maps (the
  // error message of a bug says so), as reading them costs every run 20 ms and 10 MiB.
  import('node:module')
    .then(function (module) {
      // Node's on-disk cache of compiled code (in its default place, or NODE_COMPILE_CACHE): from
      // the second run on, the bundle loads without being compiled again. Measured: launch to
      // `ready` on a hash-cached 1 GiB file went from 286 to 203-220 ms (median of 5).
      if (module.enableCompileCache) module.enableCompileCache();
      return import('../dist/cli.js');
    })
    .then(function (cli) { return cli.cli(); });
}
