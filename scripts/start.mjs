#!/usr/bin/env node
// `npm start`: the desktop app when Electron's binary is installed, else the same app in
// browser mode. `npm run start:web` (--web) goes straight to browser mode.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const webOnly = args.includes('--web');
const passThrough = args.filter((a) => a !== '--web');
const electronPathFile = join(root, 'node_modules', 'electron', 'path.txt');

function run(command, commandArgs) {
  const child = spawn(command, commandArgs, { cwd: root, stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
}

if (!webOnly && existsSync(electronPathFile)) {
  // Reading the path through electron's own index.js would start a download when it is missing.
  const electron = createRequire(import.meta.url)('electron');
  run(electron, [root, ...passThrough]);
} else {
  if (!webOnly) {
    console.log('Electron binary not installed (node_modules/electron/path.txt is missing): starting browser mode instead.');
  }
  run(process.execPath, [join(root, 'out', 'main', 'web.js'), ...passThrough]);
}
