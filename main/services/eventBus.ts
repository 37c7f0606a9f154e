import type { AppEvent } from '../../common/contract';

export type EventListener = (event: AppEvent) => void;

/** Fan-out of backend events to whichever transports are attached (IPC windows, WebSockets). */
export class EventBus {
  private readonly listeners = new Set<EventListener>();

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: AppEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A broken transport must not stop the others or the job that emitted.
      }
    }
  }

  dispose(): void {
    this.listeners.clear();
  }
}
