import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

// Native addons stay outside the bundles: they load from node_modules (or app.asar.unpacked).
const nativeModules = ['better-sqlite3', 'onnxruntime-node', 'sharp', 'electron'];

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      externalizeDeps: true,
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'main/electron/shell.ts'),
          web: resolve(__dirname, 'main/web/cli.ts'),
          // Loaded as worker threads (services/workerEntry.ts), from beside the entry that needs them.
          prepareWorker: resolve(__dirname, 'main/inference/prepareWorker.ts'),
          frameCheckWorker: resolve(__dirname, 'main/datasets/frameCheckWorker.ts'),
        },
        external: nativeModules,
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // A sandboxed preload cannot require packages, so zod is bundled in; it must be CommonJS.
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(__dirname, 'preload/index.ts') },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'renderer'),
    plugins: [react()],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      emptyOutDir: true,
      chunkSizeWarningLimit: 2000,
      rollupOptions: { input: resolve(__dirname, 'renderer/index.html') },
    },
  },
});
