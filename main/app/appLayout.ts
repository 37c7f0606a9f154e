import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface AppLayout {
  /** Holds fixtures/demo and native-models/models. */
  readonly resourcesDir: string;
  /** The built renderer. */
  readonly rendererDir: string;
  readonly preloadFile: string;
}

/**
 * Where the built app finds its parts. Built entries live in out/main; in a packaged app
 * the resources sit beside the asar, which the Electron shell passes as `resourcesPath`.
 */
export function appLayout(entryUrl: string, resourcesPath?: string): AppLayout {
  const outMain = dirname(fileURLToPath(entryUrl));
  const outDir = resolve(outMain, '..');
  const repoRoot = resolve(outDir, '..');
  const resourcesDir = resourcesPath && existsSync(join(resourcesPath, 'fixtures')) ? resourcesPath : repoRoot;
  return {
    resourcesDir,
    rendererDir: join(outDir, 'renderer'),
    preloadFile: join(outDir, 'preload', 'index.cjs'),
  };
}
