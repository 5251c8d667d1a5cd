// The one executor of firewall commands: finds each tool (also in the sbin folders a short PATH
// leaves out) and runs it through execa, directly as root or through `sudo -n`.
import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { shellQuote } from '../../output/format.ts';

export type Tool = 'nft' | 'firewall-cmd' | 'iptables' | 'ip6tables' | 'iptables-nft' | 'ip6tables-nft' | 'iptables-legacy' | 'ip6tables-legacy';

/** A command as data: the tool and its arguments, run by the executor or shown to a person. */
export interface ToolCommand {
  tool: Tool;
  args: string[];
}

/**
 * Cron runs jobs with PATH=/usr/bin:/bin and systemd units often with less, yet the firewall tools
 * live in /usr/sbin or /sbin: those are searched after PATH, so root is never told nft is missing.
 */
const SBIN_FOLDERS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];
const COMMAND_TIMEOUT_MS = 10_000;

export async function findTool(tool: Tool, pathVariable = process.env.PATH ?? ''): Promise<string | undefined> {
  const folders = [...pathVariable.split(path.delimiter).filter((folder) => folder.startsWith('/')), ...SBIN_FOLDERS];
  for (const folder of new Set(folders)) {
    const candidate = path.join(folder, tool);
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  return undefined;
}

/** The command a person would type, for warnings and for what could not be undone. */
export function commandLine(command: ToolCommand, sudo: boolean): string {
  return [...(sudo ? ['sudo'] : []), command.tool, ...command.args].map(shellQuote).join(' ');
}

export class ToolMissingError extends Error {
  readonly tool: Tool;
  constructor(tool: Tool) {
    super(`${tool} is not installed`);
    this.tool = tool;
  }
}

export interface FirewallExecutor {
  sudo: boolean;
  /** Runs the command; rejects with execa's error (stderr, exitCode) or a ToolMissingError. */
  run(command: ToolCommand): Promise<string>;
  /** Runs a yes/no question (firewall-cmd --query-*): exit 0 is yes, 1 is no, anything else throws. */
  ask(command: ToolCommand): Promise<boolean>;
  has(tool: Tool): Promise<boolean>;
}

export function makeExecutor(sudo: boolean): FirewallExecutor {
  const found = new Map<Tool, Promise<string | undefined>>();
  const locate = (tool: Tool): Promise<string | undefined> => {
    if (!found.has(tool)) found.set(tool, findTool(tool));
    return found.get(tool)!;
  };
  const exec = async (command: ToolCommand, reject: boolean): Promise<{ stdout: string; exitCode: number | undefined }> => {
    const file = await locate(command.tool);
    if (file === undefined) throw new ToolMissingError(command.tool);
    // Loaded on first use: with --firewall none, execa (its evaluation costs 22-25 ms of CPU while
    // the hashing workers want both cores) is never loaded at all.
    const { execa } = await import('execa');
    const options = { timeout: COMMAND_TIMEOUT_MS, reject };
    const result = sudo ? await execa('sudo', ['-n', file, ...command.args], options) : await execa(file, command.args, options);
    return { stdout: result.stdout, exitCode: result.exitCode };
  };
  return {
    sudo,
    run: async (command) => (await exec(command, true)).stdout,
    async ask(command) {
      const { stdout, exitCode } = await exec(command, false);
      if (exitCode === 0 || exitCode === 1) return exitCode === 0;
      throw new Error(`${commandLine(command, false)} exited with ${exitCode}: ${stdout.trim()}`);
    },
    has: async (tool) => (await locate(tool)) !== undefined,
  };
}

/** The first line of what a failed command said, for one-line messages. */
export function failureText(error: unknown): string {
  if (error instanceof ToolMissingError) return error.message;
  const failure = error as { stderr?: string; shortMessage?: string; message?: string };
  return (failure.stderr || failure.shortMessage || failure.message || String(error)).trim().split('\n')[0]!;
}
