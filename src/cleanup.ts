// The cleanup stack: everything acquired is registered here at once and undone last-in first-out, once.

export interface CleanupFailure {
  name: string;
  error: unknown;
  /** What the user can run by hand to finish the job (a firewall rule's delete command, say). */
  manualFix: string | undefined;
}

interface Step {
  name: string;
  undo: () => Promise<void> | void;
  manualFix: string | undefined;
}

const DEFAULT_STEP_TIMEOUT_MS = 5000;

/**
 * Shaped like AsyncDisposableStack: `defer` registers, `disposeAsync` unwinds. Unlike it, a failing
 * step does not stop the unwinding, every step is bounded in time, and failures come back as data.
 */
export class CleanupStack {
  readonly #steps: Step[] = [];
  readonly #stepTimeoutMs: number;
  #disposal: Promise<CleanupFailure[]> | undefined;

  constructor(options: { stepTimeoutMs?: number } = {}) {
    this.#stepTimeoutMs = options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
  }

  get disposed(): boolean {
    return this.#disposal !== undefined;
  }

  defer(name: string, undo: () => Promise<void> | void, options: { manualFix?: string } = {}): void {
    if (this.#disposal) {
      // Acquired after the stack unwound (a start-up step finishing late): undo it right away.
      void runBounded({ name, undo, manualFix: options.manualFix }, this.#stepTimeoutMs).catch(() => {});
      return;
    }
    this.#steps.push({ name, undo, manualFix: options.manualFix });
  }

  /** Runs every step once, newest first; later calls get the same result. */
  disposeAsync(): Promise<CleanupFailure[]> {
    this.#disposal ??= this.#unwind();
    return this.#disposal;
  }

  async #unwind(): Promise<CleanupFailure[]> {
    const failures: CleanupFailure[] = [];
    while (this.#steps.length > 0) {
      const step = this.#steps.pop()!;
      try {
        await runBounded(step, this.#stepTimeoutMs);
      } catch (error) {
        failures.push({ name: step.name, error, manualFix: step.manualFix });
      }
    }
    return failures;
  }
}

async function runBounded(step: Step, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${step.name} did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([Promise.resolve().then(step.undo), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
