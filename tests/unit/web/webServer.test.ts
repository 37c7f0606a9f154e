import { connect } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../common/errors';
import { SeededRng } from '../../../common/metrics/rng';
import { createBackend, type Backend } from '../../../main/app/composition';
import { WebServer } from '../../../main/web/webServer';
import { makeTempDir } from '../../helpers/tempDir';
import { mediaAttacks, plantTamperedRows, STATIC_ATTACKS, trappedFolder, type TrappedFolder } from '../../reliability/pathAttacks';

const tmp = makeTempDir();
let backend: Backend;
let server: WebServer;
let origin: string;
let datasetId: number;
let trap: TrappedFolder;
let tampered: { frameId: number; modelId: number };

beforeAll(async () => {
  const renderer = join(tmp.path, 'renderer');
  mkdirSync(join(renderer, 'assets'), { recursive: true });
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>t</title>');
  trap = await trappedFolder(tmp.path);

  backend = createBackend({ appHome: join(tmp.path, 'home'), resourcesDir: tmp.path, transport: 'web' });
  backend.projects.create('Served');
  const { datasets, db } = { ...backend.projects.require().scope, db: backend.projects.require().db };
  datasetId = datasets.addDataset({ name: 'cam', role: 'dashcam', root: trap.frames }).id;
  tampered = plantTamperedRows(db, datasetId);
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
      ...mediaAttacks(datasetId, trap, tampered).map((route) => `/media/${route}`),
      ...STATIC_ATTACKS.map((path) => `/${path}`),
    ];
    for (const path of attempts) {
      const res = await withToken(path);
      const body = Buffer.from(await res.arrayBuffer());
      expect(res.status === 200 ? body.toString() : res.status, path).not.toBe(200);
      expect([200, 400, 403, 404], path).toContain(res.status); // 200: the SPA's index.html
      expect(body.includes(trap.secretBytes.subarray(16, 48)), path).toBe(false);
    }
  });
});

describe('browser-mode server under hostile requests', () => {
  it('is not reachable on any address but 127.0.0.1', async () => {
    const port = Number(new URL(origin).port);
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && a.family === 'IPv4' && !a.internal)
      .map((a) => a!.address);
    for (const host of [...others, '::1']) {
      const reached = await new Promise<boolean>((resolve) => {
        const socket = connect({ host, port }, () => (socket.destroy(), resolve(true)));
        socket.on('error', () => resolve(false));
      });
      expect(reached, `${host}:${port}`).toBe(false);
    }
  });

  it('answers malformed, huge and wrongly-sent requests with 4xx or a typed error, and keeps serving', async () => {
    const rng = new SeededRng(8);
    const bodies: (string | Uint8Array<ArrayBuffer>)[] = [
      '',
      'null',
      '[]',
      '"project:current"',
      '{"channel": 5}',
      '{"channel": "project:current", "payload": {"__proto__": {"polluted": 1}}}',
      '{"__proto__": {"channel": "project:current"}}',
      '{"channel": "project:current", "payload": [1, 2]}',
      `{"channel": "${'x'.repeat(100_000)}"}`,
      '{'.repeat(100_000),
      '\ud800',
      ...Array.from({ length: 40 }, () => new Uint8Array(Array.from({ length: rng.below(200) }, () => rng.below(256)))),
    ];
    for (const body of bodies) {
      const res = await withToken('/api/invoke', { method: 'POST', body });
      expect(res.status, String(body).slice(0, 60)).toBe(200);
      const reply = (await res.json()) as { ok: boolean; error?: { code: string } };
      if (!reply.ok) expect(ERROR_CODES, String(body).slice(0, 60)).toContain(reply.error!.code);
    }
    const polluting = await withToken('/api/invoke', { method: 'POST', body: bodies[5] });
    expect(await polluting.json()).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const huge = await withToken('/api/invoke', { method: 'POST', body: new Uint8Array(3 << 20).fill(0x7b) }).catch((err: Error) => err);
    if (!(huge instanceof Error)) expect(huge.status).toBe(400);
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      expect((await withToken('/api/invoke', { method })).status, method).toBe(405);
    }
    for (const method of ['POST', 'PUT', 'DELETE']) expect((await withToken('/', { method })).status, method).toBe(405);
    for (const path of ['/%', '/%E0%A4%A', '/assets', '/assets/', '//etc/passwd', '/media/%', '/media/frame/%ZZ/image']) {
      expect((await withToken(path)).status, path).toBeLessThan(500);
    }
    for (const cookie of ['s2r_token', 's2r_token=', `s2r_token=${server.token}x`, ';;;=;', `x=1; s2r_token=${'0'.repeat(64)}`]) {
      expect((await fetch(`${origin}/`, { headers: { cookie } })).status, cookie).toBe(401);
    }
    const still = await withToken('/api/invoke', { method: 'POST', body: JSON.stringify({ channel: 'project:current', payload: {} }) });
    expect(await still.json()).toMatchObject({ ok: true, value: { name: 'Served' } });
  });
});
