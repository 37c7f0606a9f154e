/**
 * trainId ⇄ Cityscapes labelId. Label masks are stored as labelIds (what gtFine files and the
 * official evaluation read) while every view and metric works in trainIds.
 * Source: cityscapesScripts helpers/labels.py.
 */
import { IGNORE_TRAIN_ID, NUM_TRAIN_CLASSES } from '../classes';

export const TRAIN_TO_LABEL_ID: readonly number[] = [7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 31, 32, 33];

/** labelId 0 is "unlabeled": where nobody painted, or painted "ignore". */
export const UNLABELED_LABEL_ID = 0;

const LABEL_TO_TRAIN = (() => {
  const table = new Uint8Array(256).fill(IGNORE_TRAIN_ID);
  TRAIN_TO_LABEL_ID.forEach((labelId, trainId) => (table[labelId] = trainId));
  return table;
})();

const TRAIN_TO_LABEL = (() => {
  const table = new Uint8Array(256).fill(UNLABELED_LABEL_ID);
  for (let t = 0; t < NUM_TRAIN_CLASSES; t++) table[t] = TRAIN_TO_LABEL_ID[t]!;
  return table;
})();

export function trainIdsToLabelIds(trainIds: Uint8Array): Uint8Array {
  const out = new Uint8Array(trainIds.length);
  for (let i = 0; i < trainIds.length; i++) out[i] = TRAIN_TO_LABEL[trainIds[i]!]!;
  return out;
}

export function labelIdsToTrainIds(labelIds: Uint8Array): Uint8Array {
  const out = new Uint8Array(labelIds.length);
  for (let i = 0; i < labelIds.length; i++) out[i] = LABEL_TO_TRAIN[labelIds[i]!]!;
  return out;
}
