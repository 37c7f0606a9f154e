import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { InferenceRunSummary, ModelInspection as InspectionReply, ModelSummary } from '../../common/inferenceContract';
import type { ModelInspection } from './modelInspector';
import type { ModelRecord } from './modelService';
import type { RunOverview } from './runStore';

/** Service records → the contract's reply shapes (kept here so handlers stay one line each). */
export function modelSummary(m: ModelRecord): ModelSummary {
  return {
    id: m.id,
    name: m.name,
    role: m.role,
    kind: m.card.kind,
    path: m.path,
    method: m.card.method,
    classes: [...m.card.classNames],
    inputSize: { ...m.card.inputSize },
    sha256: m.sha256,
    available: existsSync(m.path),
    createdAt: m.createdAt,
  };
}

export function inspectionReply(i: ModelInspection): InspectionReply {
  return {
    path: i.path,
    inputName: i.inputName,
    outputName: i.outputName,
    inputShape: [...i.inputShape],
    outputShape: [...i.outputShape],
    hasCard: i.cardPath !== null,
    needs: [...i.needs],
    suggested: {
      name: i.cardFile?.name ?? basename(i.path).replace(/\.onnx$/i, ''),
      kind: i.card.kind,
      classes: [...i.card.classNames],
      mean: [...i.card.normalization.mean],
      std: [...i.card.normalization.std],
      inputSize: { ...i.card.inputSize },
    },
  };
}

export function runSummary(r: RunOverview): InferenceRunSummary {
  return { ...r, modelIds: [...r.modelIds], modelNames: [...r.modelNames] };
}
