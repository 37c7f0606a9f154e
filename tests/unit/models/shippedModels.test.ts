import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { decodeFrame } from '../../../main/inference/preprocess';
import { agreementWithReference } from '../../helpers/modelAgreement';
import { makeTempDir } from '../../helpers/tempDir';

const REPO = join(__dirname, '..', '..', '..');
const MODELS = join(REPO, 'native-models', 'models');
const SHIPPED = ['source_only', 'adapted', 'oracle'];

describe('shipped models: the app preprocesses frames as the training pipeline did', () => {
  const home = makeTempDir();
  afterAll(() => home.cleanup());

  it('ships a model and a card for every role', () => {
    for (const role of [...SHIPPED, 'discriminator']) {
      expect(existsSync(join(MODELS, `${role}.onnx`)), `${role}.onnx`).toBe(true);
      expect(existsSync(join(MODELS, `${role}.card.json`)), `${role}.card.json`).toBe(true);
    }
  });

  for (const role of SHIPPED) {
    it(`${role}: onnxruntime-node masks agree with the pipeline's reference masks on at least 99.9% of pixels`, async () => {
      const results = await agreementWithReference(join(MODELS, `${role}.card.json`), home.path, { root: REPO });
      expect(results.length).toBeGreaterThanOrEqual(3);
      for (const r of results) expect(r.agreement, r.id).toBeGreaterThanOrEqual(0.999);
    });
  }

  it('keeps machine paths out of the cards', () => {
    for (const file of readdirSync(MODELS).filter((f) => f.endsWith('.card.json'))) {
      const text = readFileSync(join(MODELS, file), 'utf8');
      expect(text, file).not.toContain(REPO);
    }
  });
});

describe("the app's resize is Pillow's bilinear", () => {
  it('reproduces the inputs the pipeline stored beside each reference mask, byte for byte', async () => {
    const card = JSON.parse(readFileSync(join(MODELS, 'source_only.card.json'), 'utf8')) as {
      input_size: { height: number; width: number };
      reference: { dir: string; frames: { frame: string; input: string }[] };
    };
    const { height, width } = card.input_size;
    for (const ref of card.reference.frames) {
      const ours = await decodeFrame(join(REPO, ref.frame), height, width);
      const { data } = await sharp(join(MODELS, card.reference.dir, ref.input)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      let differing = 0;
      for (let i = 0; i < data.length; i++) if (data[i] !== ours.rgb[i]) differing++;
      expect(differing, ref.frame).toBe(0);
    }
  });
});
