import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readGreyPng } from '../../main/services/greyPng';
import { readCardFile, resolveCard } from '../../main/inference/modelCard';
import { decodeFrame, toTensorData } from '../../main/inference/preprocess';
import { ProviderProbe } from '../../main/inference/providerProbe';
import { ProviderService } from '../../main/inference/providerService';
import { SegmentationSession } from '../../main/inference/sessions';
import { SettingsStore } from '../../main/services/settingsStore';

export interface ReferenceFrame {
  readonly frame: string;
  readonly id: string;
  readonly mask: string;
  /** The pipeline's own resized input (PIL bilinear), for when the original frame is gone. */
  readonly input: string;
}

export interface Agreement {
  readonly id: string;
  readonly agreement: number;
}

/**
 * Runs an exported model the way the app does (sharp decode + resize, card normalisation,
 * onnxruntime-node on CPU) on the frames the training pipeline stored reference masks for,
 * and returns the share of pixels whose class matches the pipeline's own PyTorch argmax.
 * With 'stored-inputs' the already-resized inputs are used, so only normalisation and ORT are checked.
 */
export async function agreementWithReference(
  cardPath: string,
  appHome: string,
  frames: { root: string } | 'stored-inputs',
): Promise<Agreement[]> {
  const cardFile = readCardFile(cardPath);
  const card = resolveCard(cardFile);
  const raw = JSON.parse(readFileSync(cardPath, 'utf8')) as { file: string; reference: { dir: string; frames: ReferenceFrame[] } };
  const dir = dirname(cardPath);
  const providers = new ProviderService({
    settings: new SettingsStore(appHome),
    probe: new ProviderProbe({ cacheDir: appHome }),
    threads: 1,
    pinOverride: 'cpu',
  });
  const session = await SegmentationSession.open(readFileSync(join(dir, raw.file)), card, providers, raw.file);
  const results: Agreement[] = [];
  try {
    for (const ref of raw.reference.frames) {
      const framePath = frames === 'stored-inputs' ? join(dir, raw.reference.dir, ref.input) : join(frames.root, ref.frame);
      const { height, width } = card.inputSize;
      const decoded = await decodeFrame(framePath, height, width);
      const out = await session.infer(toTensorData(decoded.rgb, width, height, card.normalization), { height, width });
      const expected = await readGreyPng(join(dir, raw.reference.dir, ref.mask));
      if (expected.width !== out.width || expected.height !== out.height) {
        throw new Error(`${ref.id}: reference mask is ${expected.width}x${expected.height}, the app's is ${out.width}x${out.height}`);
      }
      let same = 0;
      for (let i = 0; i < out.labels.length; i++) if (out.labels[i] === expected.data[i]) same++;
      results.push({ id: ref.id, agreement: same / out.labels.length });
    }
  } finally {
    await session.dispose();
  }
  return results;
}
