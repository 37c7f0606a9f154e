/**
 * The Electron shell: a window, the custom protocol and IPC, nothing else. All logic lives
 * in plain Node services (createBackend), which browser mode uses as well.
 */
import { app, BrowserWindow, dialog, ipcMain, protocol, type IpcMainInvokeEvent } from 'electron';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { APP_HOST, APP_SCHEME, IPC_EVENT, IPC_INVOKE, IPC_PICK_FOLDER } from '../../common/contract';
import { appLayout } from '../app/appLayout';
import { createBackend, type Backend } from '../app/composition';
import { setSqliteNativeBinding } from '../db/projectDatabase';
import { handleAppProtocol } from './appProtocol';

const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
]);

const layout = appLayout(import.meta.url, app.isPackaged ? process.resourcesPath : undefined);
// better-sqlite3 must match Electron's ABI, not Node's: `npm run setup:electron-sqlite` builds it.
const electronSqlite = join(layout.resourcesDir, 'native', 'electron', 'better_sqlite3.node');
if (existsSync(electronSqlite)) setSqliteNativeBinding(electronSqlite);

let backend: Backend | null = null;

function fromOurPage(event: IpcMainInvokeEvent): boolean {
  const url = event.senderFrame?.url ?? '';
  return url.startsWith(`${APP_ORIGIN}/`);
}

function createWindow(b: Backend): BrowserWindow {
  const win = new BrowserWindow({
    width: 1600,
    height: 1000,
    title: 'Sim2Real Studio',
    webPreferences: {
      preload: layout.preloadFile,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  win.webContents.on('will-navigate', (event, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
  });
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  const unsubscribe = b.events.subscribe((event) => {
    if (!win.isDestroyed()) win.webContents.send(IPC_EVENT, event);
  });
  win.on('closed', unsubscribe);
  void win.loadURL(`${APP_ORIGIN}/index.html`);
  return win;
}

app.on('web-contents-created', (_event, contents) => {
  contents.on('will-attach-webview', (event) => event.preventDefault());
});

app.whenReady().then(async () => {
  backend = createBackend({ resourcesDir: layout.resourcesDir, transport: 'electron', version: app.getVersion() });
  const b = backend;
  protocol.handle(APP_SCHEME, (request) => handleAppProtocol(request, b, layout.rendererDir));
  ipcMain.handle(IPC_INVOKE, (event, channel: unknown, payload: unknown) => {
    if (!fromOurPage(event)) return { ok: false, error: { code: 'UNAUTHORIZED', message: 'unknown sender' } };
    return b.dispatcher.dispatch(channel, payload);
  });
  ipcMain.handle(IPC_PICK_FOLDER, async (event) => {
    if (!fromOurPage(event)) return null;
    const result = await dialog.showOpenDialog({ properties: ['openDirectory'] });
    return result.canceled ? null : (result.filePaths[0] ?? null);
  });
  await b.start();
  createWindow(b);
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow(b);
  });
});

app.on('window-all-closed', () => {
  backend?.dispose();
  backend = null;
  app.quit();
});
