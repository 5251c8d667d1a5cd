// The command line: the only place that reads argv, handles signals and sets the exit code.
import { readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { cacheDirectory } from './hashing/hash-cache.ts';
import { exitCodeFor, formatError, toShareFileError } from './errors.ts';
import { FIREWALL_MODES, PORT_MAP_MODES, parseOptions, type RawOptions } from './options.ts';
import type { StopReason } from './output/events.ts';
import type { Reporter as ReporterType } from './output/reporter.ts';
import { mark, markNodeStart } from './output/timeline.ts';

export interface CliEnvironment {
  argv: string[];
  stdout: Writable;
  stderr: Writable;
  cwd: string;
  stopSignal: AbortSignal;
  /** stderr is a terminal: progress is drawn in place there (unless NO_COLOR is set). */
  stderrIsTTY: boolean;
  stdoutIsTTY: boolean;
  /** stdin or stderr is a terminal: someone is there to press Ctrl-C (not so under cron or systemd). */
  atTerminal: boolean;
  noColor: boolean;
  cacheDir: string;
}

export function readVersion(): string {
  // Both src/cli.ts and the built dist/ file sit one folder below package.json.
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

function buildProgram(version: string, env: CliEnvironment): Command {
  return new Command('share-file')
    .description('Share a file or a folder with BitTorrent (and plain HTTP): builds the .torrent, runs its own tracker, opens the firewall, seeds, and cleans up on exit.')
    .argument('<file>', 'the file, folder or block device (disk, volume) to share')
    .argument('[port]', 'tracker port, as --port')
    .argument('[hostname]', 'host name for the announce URL, as --hostname')
    .argument('[ip]', 'address handed to peers, as --ip')
    .option('-p, --port <port>', 'tracker port (default: a free port in 50000-64999)')
    .option('--peer-port <port>', 'fixed port the seeder listens on (default: tracker port + 1)')
    .option('-H, --hostname <name>', 'host name written into the announce URL (default: this machine\'s host name)')
    .option('--ip <address>', 'address the tracker hands to peers for this seeder, IPv4 or IPv6 (default: the host name\'s address)')
    .option('--ip6 <address>', 'IPv6 address handed to IPv6 peers (default: a global or ULA address of the default route\'s interface)')
    .option('--name <name>', 'the name recipients save it as (default: the file\'s, folder\'s or device\'s name)')
    .option('-o, --torrent <path>', 'where the .torrent is written (default: ./<file name>-<port>.torrent)')
    .option('--firewall <mode>', `open the ports in the firewall: ${FIREWALL_MODES.join(', ')}`, 'auto')
    .option('--port-map <mode>', `ask the router to forward the ports: ${PORT_MAP_MODES.join(', ')}`, 'auto')
    .option('--allow <cidr>', 'only these sources may connect (repeatable): firewall rules, tracker and seeder', (value: string, previous: string[] = []) => [...previous, value])
    .option('--announce <url>', 'share through this tracker instead of our own (repeatable); no tracker of our own runs', (value: string, previous: string[] = []) => [...previous, value])
    .option('--web-seed', 'list our HTTP server in the .torrent as a web seed (BEP 19), for clients that cannot reach the peer port')
    .option('--require-encryption', 'accept only RC4-encrypted peer connections (MSE/PE); clients set to plain BitTorrent cannot connect')
    .option('--json', 'newline-delimited JSON events on stdout')
    .option('--exit-after <n>', 'stop cleanly once n peers have the whole file')
    .option('--timeout <duration>', 'stop cleanly after this long, counted from launch (90s, 15m, 2h)')
    .option('-q, --quiet', 'print only errors on stderr')
    .option('--qr', 'on a terminal, show a QR code of the .torrent URL')
    .version(version, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => env.stdout.write(text),
      writeErr: (text) => env.stderr.write(text),
      outputError: (text, write) => write(`${text.trimEnd()}; run \`share-file --help\` for usage\n`),
    });
}

/** Runs share-file with an injected environment; resolves with the exit code. */
export async function main(env: CliEnvironment): Promise<number> {
  const version = readVersion();
  const program = buildProgram(version, env);
  let raw: RawOptions;
  try {
    program.parse(env.argv, { from: 'user' });
    const [file = '', positionalPort, positionalHostname, positionalIp] = program.args;
    raw = { ...program.opts<Omit<RawOptions, 'file'>>(), file, positionalPort, positionalHostname, positionalIp };
    mark('options-parsed');
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }

  // Loaded only now, so that --version and --help stay quick.
  const [{ Reporter }, { run }] = await Promise.all([import('./output/reporter.ts'), import('./run.ts')]);
  mark('run-loaded');
  // Until the options parse, errors still honour --json and --quiet as typed.
  let reporter: ReporterType = new Reporter({ stdout: env.stdout, stderr: env.stderr, json: raw.json ?? false, quiet: raw.quiet ?? false, interactive: false, atTerminal: env.atTerminal, qr: false, resultLine: true });
  try {
    const options = parseOptions(raw, env.cwd);
    const interactive = env.stderrIsTTY && !env.noColor;
    // With bars on the terminal stdout shares, the URL is in the instructions above them already.
    const resultLine = !(interactive && env.stdoutIsTTY && !options.quiet);
    reporter = new Reporter({ stdout: env.stdout, stderr: env.stderr, json: options.json, quiet: options.quiet, interactive, atTerminal: env.atTerminal, qr: options.qr, resultLine });
    if (options.qr && !interactive && !options.quiet) reporter.emit({ event: 'warning', message: '--qr draws only on a terminal without NO_COLOR; hand over the URL instead' });
    await run(options, { reporter, cwd: env.cwd, version, stopSignal: env.stopSignal, cacheDir: env.cacheDir });
    return 0;
  } catch (caught) {
    const error = toShareFileError(caught);
    reporter.emit({ event: 'error', code: error.code, message: error.message });
    reporter.error(formatError(error));
    if (error.code === 'INTERNAL' && error.cause instanceof Error && error.cause.stack) {
      reporter.error(error.cause.stack);
      if (!process.sourceMapsEnabled) reporter.error('(run again with NODE_OPTIONS=--enable-source-maps for the lines in share-file\'s sources)');
    }
    return exitCodeFor(error);
  } finally {
    reporter.close();
  }
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** The process entry point: wires signals and standard streams to main() and sets the exit code. */
export async function cli(): Promise<void> {
  markNodeStart();
  mark('cli-start');
  const controller = new AbortController();
  const onSignal = (signal: StopReason): void => {
    if (controller.signal.aborted) {
      // A second signal: the user does not want to wait for the clean-up.
      process.stderr.write('share-file: forced exit; some clean-up may not have run\n');
      process.exit(130);
    }
    if (signal === 'SIGINT' && process.stderr.isTTY) process.stderr.write('\nshare-file: stopping (press Ctrl-C again to force)\n');
    controller.abort(signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  // A closed pipe (`share-file f | head -1`) must not crash us before the clean-up runs.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});

  process.exitCode = await main({
    argv: process.argv.slice(2),
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    stopSignal: controller.signal,
    stderrIsTTY: process.stderr.isTTY === true,
    stdoutIsTTY: process.stdout.isTTY === true,
    atTerminal: process.stdin.isTTY === true || process.stderr.isTTY === true,
    noColor: (process.env.NO_COLOR ?? '') !== '',
    cacheDir: cacheDirectory(process.env),
  });
  for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  exitOnceSettled(process.exitCode);
}

/** Time for writes still under way (the hash cache, the last lines) after everything is undone. */
const SETTLE_MS = 3000;

/**
 * Everything share-file set up is undone by now, so the process should end on its own. If a handle
 * a dependency forgot keeps it alive, a person's Ctrl-C or a cron job would wait forever: end it,
 * with the exit code already decided, and name what was left open so the leak can be fixed.
 */
function exitOnceSettled(code: number | string | undefined): void {
  setTimeout(() => {
    const open = process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap');
    process.stderr.write(`share-file: exiting; still open after the clean-up: ${open.join(', ') || 'nothing'}\n`);
    process.exit(code);
  }, SETTLE_MS).unref();
}
