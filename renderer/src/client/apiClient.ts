import { contract, type AppEvent, type Channel, type ReplyOf, type RequestOf, type WireResult } from '../../../common/contract';
import type { ErrorCode } from '../../../common/errors';

/** What a transport must provide: Electron IPC (preload's window.api) or browser mode. */
export interface Transport {
  readonly kind: 'electron' | 'web';
  invoke(channel: Channel, payload: unknown): Promise<WireResult<unknown>>;
  onEvent(listener: (event: AppEvent) => void): () => void;
  pickFolder(): Promise<string | null>;
}

export class ClientError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ClientError';
  }
}

/** The one interface the renderer uses to reach the backend, whatever the transport. */
export class ApiClient {
  constructor(private readonly transport: Transport) {}

  get kind(): Transport['kind'] {
    return this.transport.kind;
  }

  async call<C extends Channel>(channel: C, request: RequestOf<C>): Promise<ReplyOf<C>> {
    const result = await this.transport.invoke(channel, request);
    if (!result.ok) throw new ClientError(result.error.code, result.error.message);
    return contract[channel].reply.parse(result.value) as ReplyOf<C>;
  }

  onEvent(listener: (event: AppEvent) => void): () => void {
    return this.transport.onEvent(listener);
  }

  pickFolder(): Promise<string | null> {
    return this.transport.pickFolder();
  }
}
