// What the benchmarks share: large random test files, written in big blocks, and the median.
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';

export async function writeRandomFile(file: string, size: number): Promise<void> {
  const handle = await open(file, 'w');
  const block = randomBytes(16 * 1024 * 1024);
  for (let written = 0; written < size; written += block.length) await handle.write(block, 0, Math.min(block.length, size - written));
  await handle.close();
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
