#!/usr/bin/env node
// Needs internet: builds better-sqlite3 against Electron's ABI (Electron's headers are
// downloaded by node-gyp) into native/electron/, which the Electron shell loads through
// better-sqlite3's `nativeBinding` option. The Node build in node_modules stays for tests.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const electronVersion = JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version;
const work = mkdtempSync(join(tmpdir(), 'electron-sqlite-'));
cpSync(join(root, 'node_modules', 'better-sqlite3'), work, { recursive: true });
rmSync(join(work, 'build'), { recursive: true, force: true });
console.log(`Building better-sqlite3 for Electron ${electronVersion} in ${work}`);
const result = spawnSync(
  'npx',
  ['--yes', 'node-gyp', 'rebuild', '--release', `--target=${electronVersion}`, '--dist-url=https://electronjs.org/headers', '--runtime=electron'],
  { cwd: work, stdio: 'inherit', env: { ...process.env, npm_config_nodedir: '' } },
);
if (result.status !== 0) process.exit(result.status ?? 1);
const outDir = join(root, 'native', 'electron');
mkdirSync(outDir, { recursive: true });
copyFileSync(join(work, 'build', 'Release', 'better_sqlite3.node'), join(outDir, 'better_sqlite3.node'));
console.log(`Wrote ${join(outDir, 'better_sqlite3.node')}`);
