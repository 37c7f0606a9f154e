import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import * as ort from 'onnxruntime-node';
import { AppError } from '../../common/errors';
import { findCardFile, readCardFile, resolveCard, type CardFile, type ModelCard } from './modelCard';
import { defaultOpset } from './onnxProto';

type Dim = number | string;

/** What a model file says about itself, read from a CPU session and one small run. */
export interface ModelInspection {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly opset: number | null;
  readonly inputName: string;
  readonly outputName: string;
  readonly inputShape: readonly Dim[];
  /** From the probe run: metadata loses output dims when the graph interpolates. */
  readonly outputShape: readonly number[];
  readonly staticInputSize: { height: number; width: number } | null;
  readonly cardPath: string | null;
  readonly cardFile: CardFile | null;
  /** The card beside the file, or the defaults, with the file's own facts filled in. */
  readonly card: ModelCard;
  /** What only a person can supply: no card said it and the file cannot tell. */
  readonly needs: readonly ('classes' | 'normalization' | 'inputSize')[];
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

const PROBE_SIZE = { height: 64, width: 128 };

/**
 * Opens a model on the CPU, reads its input and output names and shapes, and runs it once on
 * a small blank frame to learn the output shape. Every failure is a BAD_MODEL naming the file.
 */
export async function inspectModel(path: string, kindHint?: 'segmentation' | 'discriminator'): Promise<ModelInspection> {
  const file = basename(path);
  let bytes: Buffer;
  try {
    if (!statSync(path).isFile()) throw new AppError('NOT_FOUND', `${path}: not a file (a model is one .onnx file)`);
    bytes = readFileSync(path);
  } catch (err) {
    if (err instanceof AppError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    // "No such file" for a file that is there but locked sends the user looking in the wrong place.
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new AppError('NOT_FOUND', `${path}: no such model file`);
    throw new AppError('BAD_MODEL', `${path}: cannot read the model file (${code ?? (err as Error).message})`);
  }
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
  } catch (err) {
    throw new AppError('BAD_MODEL', `${file}: not an ONNX model onnxruntime can load (${firstLine(err)})`);
  }
  try {
    const cardPath = findCardFile(path);
    const cardFile = cardPath ? readCardFile(cardPath) : null;
    // The role the user picked decides what the file must be; the checks below then hold it to that.
    const base = resolveCard({ ...(cardFile ?? {}), ...(kindHint ? { kind: kindHint } : {}) });
    const input = pickInput(session, file, base.inputName);
    const output = pickOutput(session, file, base.outputName);
    const inputShape = input.shape;
    if (inputShape.length !== 4) {
      throw new AppError('BAD_MODEL', `${file}: input "${input.name}" has rank ${inputShape.length} (${fmt(inputShape)}); expected N x C x H x W`);
    }
    const expectChannels = base.kind === 'discriminator' ? base.classNames.length : 3;
    const channels = inputShape[1];
    if (typeof channels === 'number' && channels !== expectChannels) {
      throw new AppError(
        'BAD_MODEL',
        base.kind === 'discriminator'
          ? `${file}: input "${input.name}" has ${channels} channels; a discriminator reads the ${expectChannels} class maps`
          : `${file}: input "${input.name}" has ${channels} channel${channels === 1 ? '' : 's'}; a segmentation model must take 3 (RGB)`,
      );
    }
    const h = inputShape[2];
    const w = inputShape[3];
    const staticInputSize = typeof h === 'number' && typeof w === 'number' && h > 0 && w > 0 ? { height: h, width: w } : null;
    const runSize = staticInputSize ?? PROBE_SIZE;
    const feed = new ort.Tensor('float32', new Float32Array(expectChannels * runSize.height * runSize.width), [1, expectChannels, runSize.height, runSize.width]);
    let outputShape: number[];
    try {
      const result = await session.run({ [input.name]: feed }, [output.name]);
      outputShape = [...result[output.name]!.dims];
    } catch (err) {
      throw new AppError('BAD_MODEL', `${file}: failed on a ${runSize.height}x${runSize.width} test frame (${firstLine(err)})`);
    }
    if (outputShape.length !== 4) {
      throw new AppError(
        'BAD_MODEL',
        `${file}: output "${output.name}" has rank ${outputShape.length} (${fmt(outputShape)}); expected N x C x H x W ${base.kind === 'discriminator' ? 'logits' : 'class scores (not labels)'}`,
      );
    }
    const card: ModelCard = {
      ...base,
      inputName: input.name,
      outputName: output.name,
      inputSize: cardFile?.input_size ? base.inputSize : (staticInputSize ?? base.inputSize),
    };
    const needs: ('classes' | 'normalization' | 'inputSize')[] = [];
    if (!cardFile?.classes && !cardFile?.num_classes) needs.push('classes');
    if (!cardFile?.preprocessing?.normalize) needs.push('normalization');
    if (!cardFile?.input_size && !staticInputSize) needs.push('inputSize');
    return {
      path,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.length,
      opset: defaultOpset(bytes),
      inputName: input.name,
      outputName: output.name,
      inputShape,
      outputShape,
      staticInputSize,
      cardPath,
      cardFile,
      card,
      needs,
    };
  } finally {
    await session.release();
  }
}

/** Checks the class count a card (or the user) claims against what the model outputs. */
export function checkOutputChannels(inspection: ModelInspection, card: ModelCard): void {
  const file = basename(inspection.path);
  const channels = inspection.outputShape[1]!;
  if (card.kind === 'discriminator') {
    if (channels !== 1) {
      throw new AppError('BAD_MODEL', `${file}: output "${inspection.outputName}" has ${channels} channels; a discriminator outputs 1 (a patch map of logits)`);
    }
    return;
  }
  if (channels !== card.classNames.length) {
    throw new AppError(
      'BAD_MODEL',
      `${file}: output "${inspection.outputName}" has ${channels} channels but ${card.classNames.length} classes are expected` +
        `${inspection.cardPath ? ` (from ${basename(inspection.cardPath)})` : ' (the 19 Cityscapes classes by default)'}; give its class list`,
    );
  }
  if (channels > 255) throw new AppError('BAD_MODEL', `${file}: ${channels} classes do not fit an 8-bit mask`);
}

function pickInput(session: ort.InferenceSession, file: string, wanted: string | null): { name: string; shape: readonly Dim[] } {
  const tensors = session.inputMetadata.filter((m) => m.isTensor);
  const chosen = wanted ? tensors.find((m) => m.name === wanted) : tensors.length === 1 ? tensors[0] : undefined;
  if (!chosen || !chosen.isTensor) {
    const names = session.inputNames.join(', ');
    throw new AppError(
      'BAD_MODEL',
      wanted ? `${file}: has no input named "${wanted}" (inputs: ${names})` : `${file}: expected one image input, found ${tensors.length} (${names})`,
    );
  }
  if (chosen.type !== 'float32') throw new AppError('BAD_MODEL', `${file}: input "${chosen.name}" is ${chosen.type}; expected float32`);
  return { name: chosen.name, shape: chosen.shape };
}

function pickOutput(session: ort.InferenceSession, file: string, wanted: string | null): { name: string } {
  const names = session.outputNames;
  // torchvision exports name the class scores "out"; ours call them "logits".
  const name = wanted ?? (names.length === 1 ? names[0] : names.find((n) => n === 'logits' || n === 'out'));
  if (!name || !names.includes(name)) {
    throw new AppError(
      'BAD_MODEL',
      wanted ? `${file}: has no output named "${wanted}" (outputs: ${names.join(', ')})` : `${file}: cannot tell which of its outputs (${names.join(', ')}) holds the class scores; name it "logits" or "out"`,
    );
  }
  return { name };
}

function fmt(shape: readonly Dim[]): string {
  return `shape [${shape.join(', ')}]`;
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? text).slice(0, 300);
}
