import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { agreementWithReference } from '../../helpers/modelAgreement';
import { makeTempDir } from '../../helpers/tempDir';

const PYTHON = '/usr/bin/python3';
const REPO = join(__dirname, '..', '..', '..');

function torchMissing(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} is missing`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch, onnx, PIL, numpy'], { encoding: 'utf8' });
  return probe.status === 0 ? null : `${PYTHON} cannot import torch/onnx/PIL/numpy (apt-get install python3-torch python3-onnx python3-pil)`;
}

const missing = torchMissing();
const title = missing
  ? `trains, exports and runs in onnxruntime-node (skipped: ${missing})`
  : 'trains every method a few iterations, exports ONNX, and the app runs the export like PyTorch does';

describe('training pipeline smoke test', () => {
  const out = makeTempDir('s2r-smoke-models-');
  afterAll(() => out.cleanup());

  it.skipIf(missing !== null)(
    title,
    () => {
      const run = spawnSync(PYTHON, [join(REPO, 'native-models', 'smoke_test.py')], {
        encoding: 'utf8',
        timeout: 600_000,
        env: { ...process.env, S2R_SMOKE_MODELS_OUT: out.path, PYTHONUNBUFFERED: '1' },
      });
      expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
      const cards = readdirSync(out.path).filter((f) => f.endsWith('.card.json') && !f.includes('discriminator'));
      expect(cards.length).toBeGreaterThan(0);
      return Promise.all(
        cards.map(async (card) => {
          const results = await agreementWithReference(join(out.path, card), join(out.path, 'home'), 'stored-inputs');
          expect(results.length).toBeGreaterThan(0);
          for (const r of results) expect(r.agreement, `${card} ${r.id}`).toBeGreaterThanOrEqual(0.999);
        }),
      );
    },
    600_000,
  );
});
