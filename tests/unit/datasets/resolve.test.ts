/** resolveFramePath hands out only real paths inside the dataset (or ground-truth) folder. */
import { afterAll, describe, expect, it } from 'vitest';
import { realpathSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupTempDirs, ctx, greyPng, openTestProject, photoPng, put, tempDir } from './helpers/fixtures';

afterAll(cleanupTempDirs);

describe('resolveFramePath', () => {
  it('returns real paths inside the root and refuses anything that leaves it', async () => {
    const root = tempDir('resolve-');
    const outside = tempDir('secret-');
    put(outside, 'secret.png', await photoPng(4, 4));
    put(root, 'images/a.png', await photoPng(4, 4));
    put(root, 'labels/a.png', greyPng(4, 4, new Array(16).fill(7)));
    put(root, 'images/b.png', await photoPng(4, 4));
    put(root, 'labels/b.png', greyPng(4, 4, new Array(16).fill(7)));
    put(root, 'images/c.png', await photoPng(4, 4));
    const project = openTestProject();
    const { service, db } = project;
    const { id } = service.addDataset({ name: 'g', role: 'sim', root });
    await service.scan(id, ctx());
    const [a, b, c] = service.listFrames(id, { offset: 0, limit: 10 });
    const realRoot = realpathSync(root);
    expect(service.resolveFramePath(a!.id, 'image')).toBe(join(realRoot, 'images', 'a.png'));
    expect(service.resolveFramePath(a!.id, 'label')).toBe(join(realRoot, 'labels', 'a.png'));
    expect(() => service.resolveFramePath(c!.id, 'label')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }) as Error);
    expect(() => service.resolveFramePath(999999, 'image')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }) as Error);

    // A row that was tampered with (or written by a buggy tool) cannot walk out.
    const setRel = db.prepare('UPDATE frames SET rel_path = ? WHERE id = ?');
    for (const evil of ['../' + realpathSync(outside).split('/').pop() + '/secret.png', '/etc/passwd', 'images/../../x.png']) {
      setRel.run(evil, b!.id);
      expect(() => service.resolveFramePath(b!.id, 'image')).toThrow(expect.objectContaining({ code: 'FORBIDDEN_PATH' }) as Error);
    }
    db.prepare('UPDATE frames SET label_path = ? WHERE id = ?').run('../../etc/passwd', b!.id);
    expect(() => service.resolveFramePath(b!.id, 'label')).toThrow(expect.objectContaining({ code: 'FORBIDDEN_PATH' }) as Error);

    // A file swapped for a link to elsewhere after indexing is caught by the realpath check.
    rmSync(join(root, 'images', 'a.png'));
    symlinkSync(join(outside, 'secret.png'), join(root, 'images', 'a.png'));
    expect(() => service.resolveFramePath(a!.id, 'image')).toThrow(expect.objectContaining({ code: 'FORBIDDEN_PATH' }) as Error);
    project.close();
  });
});
