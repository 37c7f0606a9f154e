import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { TRAIN_CLASSES } from '../../common/classes';
import { AppError } from '../../common/errors';
import type { DiscriminatorInput } from './postGraph';
import type { Normalization } from './preprocess';

/** ImageNet statistics: what torchvision models and our exporter's default config use. */
export const IMAGENET: Normalization = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
/** Used when a model has dynamic height and width and nobody said what it was trained at. */
export const DEFAULT_INPUT_SIZE = { height: 512, width: 1024 } as const;

const Triple = z.tuple([z.number(), z.number(), z.number()]);
const Size = z.object({ height: z.number().int().min(8).max(8192), width: z.number().int().min(8).max(8192) });

/**
 * The fields of an s2r model card (native-models/s2r/export.py) the app reads. Everything
 * else in a card (training config, metrics, references) is kept as written but not interpreted.
 */
const CardFile = z
  .object({
    kind: z.enum(['segmentation', 'discriminator']).optional(),
    name: z.string().optional(),
    method: z.string().optional(),
    sha256: z.string().optional(),
    num_classes: z.number().int().positive().optional(),
    classes: z.array(z.object({ trainId: z.number().int(), name: z.string() }).passthrough()).optional(),
    input_size: z.union([Size, z.tuple([z.number().int(), z.number().int()])]).optional(),
    input: z.object({ name: z.string().optional(), transform: z.enum(['softmax', 'self_information']).optional() }).passthrough().optional(),
    output: z.object({ name: z.string().optional() }).passthrough().optional(),
    preprocessing: z
      .object({ normalize: z.object({ mean: Triple, std: Triple }).passthrough().optional() })
      .passthrough()
      .optional(),
    segmentation_model: z.string().optional(),
  })
  .passthrough();
export type CardFile = z.infer<typeof CardFile>;

/** A card with every field the app needs resolved. */
export interface ModelCard {
  readonly kind: 'segmentation' | 'discriminator';
  readonly classNames: readonly string[];
  readonly inputSize: { readonly height: number; readonly width: number };
  readonly normalization: Normalization;
  readonly inputName: string | null;
  readonly outputName: string | null;
  readonly method: string | null;
  /** Discriminator only: what it reads from the segmentation output. */
  readonly discriminatorInput: DiscriminatorInput;
  /** Discriminator only: file name of the segmentation model whose output it was trained on. */
  readonly segmentationModel: string | null;
}

/** `x.onnx` → `x.card.json` (what our exporter writes) or `x.json`. */
export function findCardFile(modelPath: string): string | null {
  const stem = basename(modelPath).replace(/\.onnx$/i, '');
  for (const name of [`${stem}.card.json`, `${stem}.json`]) {
    const p = join(dirname(modelPath), name);
    if (existsSync(p)) return p;
  }
  return null;
}

export function readCardFile(path: string): CardFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new AppError('BAD_MODEL', `${path}: model card is not valid JSON (${(err as Error).message})`);
  }
  const parsed = CardFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new AppError('BAD_MODEL', `${path}: model card field ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/** Fills what a card leaves out with the Cityscapes 19-class, ImageNet-normalised defaults. */
export function resolveCard(card: CardFile): ModelCard {
  const kind = card.kind ?? 'segmentation';
  let classNames: string[];
  if (card.classes && card.classes.length > 0) {
    classNames = [...card.classes].sort((a, b) => a.trainId - b.trainId).map((c) => c.name);
  } else if (card.num_classes && card.num_classes !== TRAIN_CLASSES.length) {
    classNames = Array.from({ length: card.num_classes }, (_, i) => `class ${i}`);
  } else {
    classNames = TRAIN_CLASSES.map((c) => c.name);
  }
  const size = card.input_size;
  const inputSize = !size ? DEFAULT_INPUT_SIZE : Array.isArray(size) ? { height: size[0], width: size[1] } : size;
  const norm = card.preprocessing?.normalize;
  return {
    kind,
    classNames,
    inputSize,
    normalization: norm ? { mean: norm.mean, std: norm.std } : IMAGENET,
    inputName: card.input?.name ?? null,
    outputName: card.output?.name ?? null,
    method: card.method ?? null,
    discriminatorInput: card.input?.transform ?? 'softmax',
    segmentationModel: card.segmentation_model ?? null,
  };
}

export function parseStoredCard(json: string): ModelCard {
  return resolveCard(CardFile.parse(JSON.parse(json)));
}
