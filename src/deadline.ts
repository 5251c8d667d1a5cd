// A timer for any delay: Node's setTimeout takes at most 2^31-1 ms (about 24.8 days) and fires at
// once past that, so a longer wait is a chain of shorter ones.

/** The longest delay setTimeout honours; longer ones are treated as 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface Deadline {
  cancel(): void;
}

/** Calls `callback` once `delayMs` milliseconds have passed, counted from now, unless cancelled. */
export function afterDelay(delayMs: number, callback: () => void): Deadline {
  const due = performance.now() + delayMs;
  let timer: NodeJS.Timeout;
  const wait = (): void => {
    const left = due - performance.now();
    if (left <= 0) return callback();
    timer = setTimeout(wait, Math.min(left, MAX_TIMER_MS));
  };
  timer = setTimeout(wait, Math.min(delayMs, MAX_TIMER_MS));
  return { cancel: () => clearTimeout(timer) };
}
