/**
 * Keyboard mapping for labelling, shared by the spot checker and the frame painter so a
 * class has the same key everywhere. Physical key codes are used rather than characters,
 * so Shift+1 means the same on every keyboard layout.
 */
import { NUM_TRAIN_CLASSES } from '../classes';

export interface KeyLike {
  readonly key: string;
  readonly code: string;
  readonly shiftKey: boolean;
  readonly ctrlKey?: boolean;
  readonly metaKey?: boolean;
  readonly altKey?: boolean;
}

/** The key that marks a spot as impossible to judge. */
export const CANT_TELL_KEY = 'x';

function digitOf(code: string): number | null {
  const m = /^(?:Digit|Numpad)(\d)$/.exec(code);
  return m ? Number(m[1]) : null;
}

/** 1–9 and 0 pick trainIds 0–9; Shift+1–9 pick 10–18. Returns null for any other key. */
export function classForKey(e: KeyLike): number | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  const digit = digitOf(e.code);
  if (digit === null) return null;
  const base = digit === 0 ? 9 : digit - 1;
  if (!e.shiftKey) return base;
  if (digit === 0) return null;
  const id = 10 + digit - 1;
  return id < NUM_TRAIN_CLASSES ? id : null;
}

export function isCantTellKey(e: KeyLike): boolean {
  return !e.ctrlKey && !e.metaKey && !e.altKey && e.key.toLowerCase() === CANT_TELL_KEY;
}

/** The hint printed on a palette button. */
export function keyHint(trainId: number): string {
  if (trainId < 9) return String(trainId + 1);
  if (trainId === 9) return '0';
  return `⇧${trainId - 9}`;
}
