import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, type Backend } from '../../../main/app/composition';
import { WebServer } from '../../../main/web/webServer';
import { makeTempDir } from '../../helpers/tempDir';

const tmp = makeTempDir();
let backend: Backend;
let server: WebServer;
let origin: string;
let datasetId: number;

beforeAll(async () => {
  const renderer = join(tmp.path, 'renderer');
  mkdirSync(renderer);
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>t</title>');
  const frames = join(tmp.path, 'frames');
  mkdirSync(join(frames, 'seq001'), { recursive: true });
  const png = await sharp({ create: { width: 8, height: 4, channels: 3, background: '#336699' } }).png().toBuffer();
  writeFileSync(join(frames, 'seq001', 'frame_000001.png'), png);
  writeFileSync(join(tmp.path, 'secret.png'), png);
  symlinkSync(join(tmp.path, 'secret.png'), join(frames, 'escape.png'));

  backend = createBackend({ appHome: join(tmp.path, 'home'), resourcesDir: tmp.path, transport: 'web' });
  backend.projects.create('Served');
  const { datasets } = backend.projects.require().scope;
  datasetId = datasets.addDataset({ name: 'cam', role: 'dashcam', root: frames }).id;
  server = new WebServer(backend, { rendererDir: renderer });
  origin = new URL(await server.start()).origin;
});

afterAll(async () => {
  await server.dispose();
  backend.dispose();
  tmp.cleanup();
});

const withToken = (path: string, init: RequestInit = {}) =>
  fetch(`${origin}${path}`, { ...init, headers: { ...init.headers, 'x-s2r-token': server.token } });

describe('browser-mode server', () => {
  it('listens on 127.0.0.1 only', () => {
    expect(new URL(origin).hostname).toBe('127.0.0.1');
  });

  it('needs the token for pages, calls and media', async () => {
    for (const path of ['/', '/index.html', `/media/dataset/${datasetId}/file/seq001/frame_000001.png`]) {
      expect((await fetch(`${origin}${path}`)).status).toBe(401);
    }
    expect((await fetch(`${origin}/api/invoke`, { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await withToken('/')).status).toBe(200);
  });

  it('trades the URL token for a strict HttpOnly cookie', async () => {
    const res = await fetch(`${origin}/?token=${server.token}`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const page = await fetch(`${origin}/`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('refuses cross-origin calls even with the cookie', async () => {
    const res = await withToken('/api/invoke', {
      method: 'POST',
      headers: { origin: 'http://evil.example' },
      body: JSON.stringify({ channel: 'project:current', payload: {} }),
    });
    expect(res.status).toBe(403);
  });

  it('answers calls through the shared dispatcher, with typed errors', async () => {
    const ok = await withToken('/api/invoke', { method: 'POST', body: JSON.stringify({ channel: 'project:current', payload: {} }) });
    expect(await ok.json()).toMatchObject({ ok: true, value: { name: 'Served' } });
    const bad = await withToken('/api/invoke', { method: 'POST', body: 'not json' });
    expect(await bad.json()).toMatchObject({ ok: false, error: { code: 'UNKNOWN_CHANNEL' } });
  });

  it('serves files inside registered folders and nothing outside them', async () => {
    const good = await withToken(`/media/dataset/${datasetId}/file/seq001/frame_000001.png`);
    expect(good.status).toBe(200);
    expect(good.headers.get('content-type')).toBe('image/png');
    const attempts = [
      `/media/dataset/${datasetId}/file/../secret.png`,
      `/media/dataset/${datasetId}/file/..%2Fsecret.png`,
      `/media/dataset/${datasetId}/file/seq001%2F..%2F..%2Fsecret.png`,
      `/media/dataset/${datasetId}/file/%2E%2E/secret.png`,
      `/media/dataset/${datasetId}/file/escape.png`,
      `/media/dataset/${datasetId}/file/${encodeURIComponent(join(tmp.path, 'secret.png'))}`,
      `/media/dataset/999/file/seq001/frame_000001.png`,
    ];
    for (const path of attempts) {
      const res = await withToken(path);
      expect([403, 404], path).toContain(res.status);
      expect(res.headers.get('content-type'), path).not.toBe('image/png');
    }
  });
});
