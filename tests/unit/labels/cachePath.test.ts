import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cachePath } from '../../../main/labels/maskFiles';

describe('cachePath', () => {
  it('resolves stored paths inside the project cache', () => {
    expect(cachePath('/p/cache', 'predictions/m1/7.png')).toBe(join('/p/cache', 'predictions/m1/7.png'));
    expect(cachePath('/p/cache', 'labels/./a/../b.png')).toBe(join('/p/cache', 'labels/b.png'));
  });

  it('refuses paths from a tampered database that leave the cache', () => {
    for (const stored of ['/etc/passwd', '../project.sqlite', 'labels/../../x.png', '..', 'a\0b.png']) {
      expect(() => cachePath('/p/cache', stored), stored).toThrow(/not a path inside the project cache/);
    }
  });
});
