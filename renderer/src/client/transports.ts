import { AppEvent, type Channel, type WireResult } from '../../../common/contract';
import type { Transport } from './apiClient';

interface PreloadApi {
  invoke(channel: string, payload: unknown): Promise<unknown>;
  onEvent(listener: (event: AppEvent) => void): () => void;
  pickFolder(): Promise<string | null>;
}

declare global {
  interface Window {
    api?: PreloadApi;
  }
}

export function electronTransport(api: PreloadApi): Transport {
  return {
    kind: 'electron',
    invoke: (channel, payload) => api.invoke(channel, payload) as Promise<WireResult<unknown>>,
    onEvent: (listener) => api.onEvent(listener),
    pickFolder: () => api.pickFolder(),
  };
}

/** Browser mode: POST for calls, one WebSocket for events; the token travels as a cookie. */
export function webTransport(): Transport {
  const listeners = new Set<(event: AppEvent) => void>();
  let socket: WebSocket | null = null;
  const connect = () => {
    const url = new URL('api/events', window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    socket = new WebSocket(url);
    socket.onmessage = (message) => {
      const parsed = AppEvent.safeParse(JSON.parse(String(message.data)));
      if (parsed.success) for (const l of listeners) l(parsed.data);
    };
    socket.onclose = () => {
      socket = null;
      if (listeners.size > 0) setTimeout(connect, 1000);
    };
  };
  return {
    kind: 'web',
    async invoke(channel: Channel, payload: unknown) {
      const response = await fetch('api/invoke', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ channel, payload }),
        credentials: 'same-origin',
      });
      if (!response.ok) {
        return { ok: false, error: { code: 'UNAUTHORIZED', message: `${response.status}: ${await response.text()}` } };
      }
      return (await response.json()) as WireResult<unknown>;
    },
    onEvent(listener) {
      listeners.add(listener);
      if (!socket) connect();
      return () => listeners.delete(listener);
    },
    pickFolder: async () => null,
  };
}

export function detectTransport(): Transport {
  return window.api ? electronTransport(window.api) : webTransport();
}
