/**
 * Starts a worker thread from one of the backend's worker entries. The built app has
 * `<name>.js` beside the bundle that asks (electron-vite's main inputs, see
 * electron.vite.config.ts), or one folder up from a shared chunk; the source tree (tsx,
 * vitest) has only `<name>.ts` beside the calling module, loaded through tsx's ESM API.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/** `callerUrl` is the caller's `import.meta.url`; throws when no entry can be found. */
export function spawnWorkerEntry(callerUrl: string, name: string): Worker {
  for (const rel of [`./${name}.js`, `../${name}.js`]) {
    const file = fileURLToPath(new URL(rel, callerUrl));
    if (existsSync(file)) return new Worker(file);
  }
  const source = new URL(`./${name}.ts`, callerUrl);
  if (!existsSync(fileURLToPath(source))) throw new Error(`no ${name} worker entry`);
  const tsxApi = tsxEsmApi();
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => m.tsImport(${JSON.stringify(source.href)}, ${JSON.stringify(source.href)}))`;
  return new Worker(boot, { eval: true });
}

/**
 * A worker from `spawnWorkerEntry`, unref'd (an idle pool never keeps the process alive), with
 * its replies going to `onMessage` and `onGone` called when it fails to start or dies: the pools
 * hand its work back to the calling thread then.
 */
export function spawnPoolWorker<T>(callerUrl: string, name: string, onMessage: (reply: T) => void, onGone: (worker: Worker) => void): Worker {
  const worker = spawnWorkerEntry(callerUrl, name);
  worker.on('message', onMessage);
  worker.on('error', () => onGone(worker));
  worker.on('exit', () => onGone(worker));
  worker.unref();
  return worker;
}

/** tsx's ESM API file, from its package exports (its CommonJS build cannot register hooks in a worker). */
function tsxEsmApi(): string {
  const pkgJson = createRequire(import.meta.url).resolve('tsx/package.json');
  const pkg = JSON.parse(readFileSync(pkgJson, 'utf8')) as { exports?: Record<string, { import?: { default?: string } }> };
  const rel = pkg.exports?.['./esm/api']?.import?.default;
  if (!rel) throw new Error('tsx has no ESM API export');
  return new URL(rel, pathToFileURL(pkgJson)).href;
}
