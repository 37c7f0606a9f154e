#!/usr/bin/env node
// System packages the project needs beyond npm: Debian's Chromium (end-to-end tests drive
// it) and Debian's PyTorch (the training pipeline and its smoke test). Runs as `postinstall`
// and as `npm run setup:system`; set S2R_SKIP_SYSTEM_DEPS=1 to skip.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PACKAGES = {
  chromium: () => existsSync('/usr/bin/chromium'),
  'python3-torch python3-torchvision python3-onnx python3-numpy python3-pil': () =>
    spawnSync('/usr/bin/python3', ['-c', 'import torch, torchvision, onnx, numpy, PIL'], { stdio: 'ignore' }).status === 0,
  'libopenblas0-pthread': () => spawnSync('dpkg', ['-s', 'libopenblas0-pthread'], { stdio: 'ignore' }).status === 0,
};

if (process.env.S2R_SKIP_SYSTEM_DEPS === '1') process.exit(0);
const missing = Object.entries(PACKAGES)
  .filter(([, present]) => !present())
  .flatMap(([names]) => names.split(' '));
if (missing.length === 0) process.exit(0);

const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(' ')}`;
const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
if (!canInstall) {
  console.log(`Sim2Real Studio needs system packages for its tests and training: run as root:\n  ${command}`);
  process.exit(0);
}
console.log(`Installing system packages: ${missing.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', ...missing]]) {
  const result = spawnSync('apt-get', args, { stdio: 'inherit', env });
  if (result.status !== 0) {
    console.error(`apt-get ${args[0]} failed; install by hand:\n  ${command}`);
    process.exit(0);
  }
}
