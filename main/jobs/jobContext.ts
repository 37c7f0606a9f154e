/**
 * What a long-running piece of work sees of the job system: a cancel signal and a way
 * to report progress. Services take this instead of the job queue so they stay testable.
 */
export interface JobContext {
  readonly signal: AbortSignal;
  progress(done: number, total: number, note?: string): void;
  log(line: string): void;
}

/** A context for direct calls (tests, command-line tools) that nobody cancels. */
export function detachedJobContext(onProgress?: (done: number, total: number, note?: string) => void): JobContext {
  return {
    signal: new AbortController().signal,
    progress: (done, total, note) => onProgress?.(done, total, note),
    log: () => {},
  };
}

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

export function throwIfCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw new CancelledError();
}
