/**
 * Electron's s2r:// protocol handler (main/electron/appProtocol.ts, which does not import
 * electron) against the same routes browser mode is tested with in tests/unit/web: nothing
 * outside the project's registered folders and the renderer's own files comes back.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleAppProtocol } from '../../../main/electron/appProtocol';
import { CONTENT_SECURITY_POLICY } from '../../../main/app/securityPolicy';
import { makeTempDir } from '../../helpers/tempDir';
import { startHarness, type Harness } from '../../reliability/harness';
import { mediaAttacks, plantTamperedRows, STATIC_ATTACKS, trappedFolder, type TrappedFolder } from '../../reliability/pathAttacks';

describe('the s2r:// protocol', () => {
  const tmp = makeTempDir('s2r-protocol-');
  const renderer = join(tmp.path, 'renderer');
  let h: Harness;
  let trap: TrappedFolder;
  let datasetId: number;
  let tampered: { frameId: number; modelId: number };

  beforeAll(async () => {
    mkdirSync(join(renderer, 'assets'), { recursive: true });
    writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(renderer, 'assets', 'app.js'), 'console.log(1)');
    h = await startHarness(join(tmp.path, 'home'));
    await h.ok('project:create', { name: 'Served', parentDir: tmp.path });
    trap = await trappedFolder(tmp.path);
    symlinkSync(trap.secret, join(renderer, 'assets', 'leak.png'));
    ({ dataset: { id: datasetId } } = await h.ok<{ dataset: { id: number } }>('dataset:add', { name: 'cam', role: 'dashcam', root: trap.frames }));
    await h.idle();
    tampered = plantTamperedRows(h.db(), datasetId);
  });
  afterAll(() => {
    h?.dispose();
    tmp.cleanup();
  });

  const get = (url: string) => handleAppProtocol(new Request(url), h.backend, renderer);

  it('serves the renderer and registered frames, with the CSP on every response', async () => {
    const page = await get('s2r://app/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    const frame = await get(`s2r://app/media/dataset/${datasetId}/file/seq001/frame_000001.png`);
    expect(frame.status).toBe(200);
    expect(frame.headers.get('content-type')).toBe('image/png');
  });

  it('refuses every media route that leaves the registered folders', async () => {
    for (const route of mediaAttacks(datasetId, trap, tampered)) {
      const res = await get(`s2r://app/media/${route}`);
      expect([403, 404], route).toContain(res.status);
      expect(res.headers.get('content-security-policy'), route).toBe(CONTENT_SECURITY_POLICY);
      expect(Buffer.from(await res.arrayBuffer()).includes(trap.secretBytes.subarray(16, 48)), route).toBe(false);
    }
  });

  it('refuses renderer paths that climb out, links out of it, and other hosts', async () => {
    for (const path of [...STATIC_ATTACKS, 'assets/leak.png']) {
      const res = await get(`s2r://app/${path}`);
      expect([403, 404], path).toContain(res.status);
      expect(Buffer.from(await res.arrayBuffer()).includes(trap.secretBytes.subarray(16, 48)), path).toBe(false);
    }
    expect((await get('s2r://evil/index.html')).status).toBe(403);
    expect((await get('s2r://app/%E0%A4%A')).status).toBe(404);
  });
});
