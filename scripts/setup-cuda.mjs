#!/usr/bin/env node
// Opt-in, needs internet: fetches onnxruntime-node's CUDA provider libraries with its own
// installer (npm install skips them through .npmrc so offline installs stay green).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ortDir = join(root, 'node_modules', 'onnxruntime-node');
console.log('Fetching the CUDA execution provider for onnxruntime-node (needs internet, CUDA 12 drivers)…');
const result = spawnSync(process.execPath, [join(ortDir, 'script', 'install.js')], {
  cwd: ortDir,
  stdio: 'inherit',
  env: { ...process.env, npm_config_onnxruntime_node_install: 'cuda12', ONNXRUNTIME_NODE_INSTALL: 'cuda12' },
});
if (result.status !== 0) {
  console.error('The CUDA libraries could not be fetched; the app keeps using WebGPU or CPU.');
  process.exit(result.status ?? 1);
}
console.log('Done. Restart the app: the status bar should name CUDA as the execution provider.');
