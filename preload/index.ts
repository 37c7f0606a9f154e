/**
 * Preload: hands the page one object of functions. The page never sees ipcRenderer;
 * it can only invoke known channels and listen to backend events.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { IPC_EVENT, IPC_INVOKE, IPC_PICK_FOLDER, isChannel, type AppEvent } from '../common/contract';

const api = {
  invoke(channel: string, payload: unknown): Promise<unknown> {
    if (!isChannel(channel)) return Promise.resolve({ ok: false, error: { code: 'UNKNOWN_CHANNEL', message: channel } });
    return ipcRenderer.invoke(IPC_INVOKE, channel, payload);
  },
  onEvent(listener: (event: AppEvent) => void): () => void {
    const wrapped = (_e: IpcRendererEvent, event: AppEvent) => listener(event);
    ipcRenderer.on(IPC_EVENT, wrapped);
    return () => ipcRenderer.removeListener(IPC_EVENT, wrapped);
  },
  pickFolder(): Promise<string | null> {
    return ipcRenderer.invoke(IPC_PICK_FOLDER) as Promise<string | null>;
  },
};

export type PreloadApi = typeof api;

contextBridge.exposeInMainWorld('api', api);
