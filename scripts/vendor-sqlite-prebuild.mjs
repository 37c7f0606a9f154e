#!/usr/bin/env node
// `npm run vendor:sqlite`: builds better-sqlite3 from source for this Node and packs it as
// vendor/prebuilds/better-sqlite3-v<version>-node-v<abi>-<platform>-<arch>.tar.gz, the name and
// layout prebuild-install looks for. The project .npmrc points better-sqlite3's install script at
// that folder (better-sqlite3-local-prebuilds), so `npm ci` installs it without network, headers
// or a compiler. Other Node ABIs, platforms or versions find no file and fall back to node-gyp.
// Rerun after upgrading better-sqlite3 or Node's major version; node-gyp needs Node's headers
// (npm_config_nodedir, or internet to download them).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkgDir = join(root, 'node_modules', 'better-sqlite3');
const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const glibc = process.platform !== 'linux' || Boolean(process.report.getReport().header.glibcVersionRuntime);
const libc = glibc ? '' : 'musl';
const stem = `node-v${process.versions.modules}-${process.platform}${libc}-${process.arch}`;
const outDir = join(root, 'vendor', 'prebuilds');
const outFile = join(outDir, `better-sqlite3-v${version}-${stem}.tar.gz`);
const entry = 'build/Release/better_sqlite3.node';

const work = mkdtempSync(join(tmpdir(), 'sqlite-prebuild-'));
try {
  cpSync(pkgDir, work, { recursive: true, filter: (src) => src !== join(pkgDir, 'build') });
  console.log(`Building better-sqlite3 ${version} for Node ${process.version} in ${work}`);
  const build = spawnSync('node-gyp', ['rebuild', '--release'], { cwd: work, stdio: 'inherit', shell: process.platform === 'win32' });
  if (build.status !== 0) throw new Error('node-gyp rebuild failed (Node headers: set npm_config_nodedir, or allow the download)');
  const binary = join(work, entry);
  // As prebuild does: drop debug symbols where a strip tool exists (about half the size).
  if (process.platform === 'linux') spawnSync('strip', ['--strip-unneeded', binary], { stdio: 'inherit' });
  const Database = createRequire(import.meta.url)('better-sqlite3');
  const db = new Database(':memory:', { nativeBinding: binary });
  if (db.prepare('select 1 + 1 as two').get().two !== 2) throw new Error('the built binary does not work');
  db.close();

  const data = readFileSync(binary);
  const archive = gzipSync(tar(entry, data, 0o755), { level: 9 });
  mkdirSync(outDir, { recursive: true });
  for (const old of readdirSync(outDir)) {
    if (old.startsWith('better-sqlite3-v') && old.endsWith(`-${stem}.tar.gz`)) rmSync(join(outDir, old));
  }
  writeFileSync(outFile, archive);
  console.log(`Wrote ${outFile} (${(statSync(outFile).size / 1e6).toFixed(2)} MB)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

// One-file ustar archive with fixed owner and time, so the same binary packs to the same bytes.
function tar(name, data, mode) {
  const header = Buffer.alloc(512);
  const field = (offset, length, value) => header.write(value, offset, length, 'ascii');
  const octal = (offset, length, value) => field(offset, length, value.toString(8).padStart(length - 1, '0') + '\0');
  field(0, 100, name);
  octal(100, 8, mode);
  octal(108, 8, 0);
  octal(116, 8, 0);
  octal(124, 12, data.length);
  octal(136, 12, 0);
  field(148, 8, ' '.repeat(8));
  field(156, 1, '0');
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  let sum = 0;
  for (const byte of header) sum += byte;
  field(148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  const padding = Buffer.alloc((512 - (data.length % 512)) % 512);
  return Buffer.concat([header, data, padding, Buffer.alloc(1024)]);
}
