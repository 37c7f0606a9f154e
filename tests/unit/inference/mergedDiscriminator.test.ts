/**
 * The discriminator merged into its feeder's graph (importGraph in onnxProto.ts): one session
 * whose "looks synthetic" map equals the two sessions run one after the other, and a clear
 * refusal, with the two-session path taken instead, where a plain merge would be wrong.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveCard } from '../../../main/inference/modelCard';
import { buildModel, DataType, importGraph } from '../../../main/inference/onnxProto';
import { ProviderProbe } from '../../../main/inference/providerProbe';
import { ProviderService } from '../../../main/inference/providerService';
import { DiscriminatorSession, SegmentationSession } from '../../../main/inference/sessions';
import { SettingsStore } from '../../../main/services/settingsStore';
import { makeTempDir } from '../../helpers/tempDir';
import { model } from './helpers';

const [H, W] = [64, 128];
const input = Float32Array.from({ length: 3 * H * W }, (_, i) => Math.sin(i / 97) * 2);

/** A stand-in discriminator at another opset: a 1x1 convolution of the 19 class maps. */
function discAtOpset(opset: number): Uint8Array {
  return buildModel(
    {
      nodes: [{ op: 'Conv', inputs: ['input', 'w'], outputs: ['logits'], attrs: { strides: [2, 2] } }],
      initializers: [{ name: 'w', type: DataType.FLOAT, dims: [1, 19, 1, 1], values: Array.from({ length: 19 }, (_, c) => (c - 9) / 10) }],
      inputs: [{ name: 'input', type: DataType.FLOAT, shape: ['n', 19, 'h', 'w'] }],
      outputs: [{ name: 'logits', type: DataType.FLOAT, shape: ['n', 1, 'h2', 'w2'] }],
    },
    opset,
  );
}

describe('a discriminator merged into its feeder graph', () => {
  const tmp = makeTempDir('s2r-merge-');
  const providers = new ProviderService({ settings: new SettingsStore(tmp.path), probe: new ProviderProbe({ cacheDir: null }), threads: 1, pinOverride: 'cpu' });
  const segCard = resolveCard({ input_size: { height: H, width: W }, input: { name: 'input' }, output: { name: 'logits' } });
  const discCard = { ...segCard, kind: 'discriminator' as const };
  afterAll(() => tmp.cleanup());

  async function twoSessions(disc: Uint8Array) {
    const seg = await SegmentationSession.open(readFileSync(model('tiny_seg.onnx')), segCard, providers, 'tiny_seg.onnx', { discriminatorInput: 'softmax' });
    const d = await DiscriminatorSession.open(disc, discCard, providers, 'disc.onnx');
    const out = await seg.infer(input, { height: H, width: W });
    const patch = await d.synthetic(out.discInput!, out.height, out.width);
    await seg.dispose();
    await d.dispose();
    return { out, patch };
  }

  it('gives the map the two sessions give, and the same labels and maps', async () => {
    const disc = readFileSync(model('tiny_disc.onnx'));
    const merged = await SegmentationSession.open(readFileSync(model('tiny_seg.onnx')), segCard, providers, 'tiny_seg.onnx', {
      discriminatorInput: 'softmax',
      discriminator: { bytes: disc, card: discCard },
    });
    expect(merged.mergedDiscriminator).toBe(true);
    const got = await merged.infer(input, { height: H, width: W });
    await merged.dispose();
    const { out, patch } = await twoSessions(disc);
    expect(got.discInput).toBeNull();
    expect([got.synthetic!.height, got.synthetic!.width]).toEqual([patch.height, patch.width]);
    const diff = got.synthetic!.map.reduce((m, v, i) => Math.max(m, Math.abs(v - patch.map[i]!)), 0);
    expect(diff).toBeLessThan(1e-6);
    expect(Buffer.from(got.labels).equals(Buffer.from(out.labels))).toBe(true);
    expect(Buffer.from(got.confidence.buffer).equals(Buffer.from(out.confidence.buffer))).toBe(true);
  });

  it('refuses a discriminator at another opset, and the session then runs it on its own', async () => {
    const seg = readFileSync(model('tiny_seg.onnx')); // opset 17
    const how = { prefix: 'd_', inputs: { input: 's2r_probs' }, outputs: { logits: 'z' } };
    expect(() => importGraph(seg, discAtOpset(18), how)).toThrow(/opset 18 differs from the host model's 17/);
    const other = discAtOpset(18);
    const session = await SegmentationSession.open(seg, segCard, providers, 'tiny_seg.onnx', { discriminatorInput: 'softmax', discriminator: { bytes: other, card: discCard } });
    expect(session.mergedDiscriminator).toBe(false);
    const out = await session.infer(input, { height: H, width: W });
    await session.dispose();
    expect(out.synthetic).toBeNull();
    expect(out.discInput).toHaveLength(19 * H * W);
    const { patch } = await twoSessions(other);
    const d = await ort.InferenceSession.create(other);
    const z = (await d.run({ input: new ort.Tensor('float32', out.discInput!, [1, 19, H, W]) })).logits!;
    expect(patch.map[0]).toBeCloseTo(1 / (1 + Math.exp((z.data as Float32Array)[0]!)), 6);
  });
});
