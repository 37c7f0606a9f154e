/**
 * Natural ordering for file names: "frame_2" before "frame_10", ASCII case folded, so
 * frames play back in recording order whatever zero padding the camera used.
 * A hand-rolled comparator: building regex keys cost more than the rest of a 100k-file
 * listing's sort.
 */

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

function fold(code: number): number {
  return code >= 65 && code <= 90 ? code + 32 : code;
}

export function compareNatural(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      // Compare the digit runs as numbers: skip leading zeros, then longer is larger.
      let si = i;
      while (si < a.length && a.charCodeAt(si) === 48) si++;
      let sj = j;
      while (sj < b.length && b.charCodeAt(sj) === 48) sj++;
      let ei = si;
      while (ei < a.length && isDigit(a.charCodeAt(ei))) ei++;
      let ej = sj;
      while (ej < b.length && isDigit(b.charCodeAt(ej))) ej++;
      if (ei - si !== ej - sj) return ei - si - (ej - sj);
      for (let k = 0; k < ei - si; k++) {
        const d = a.charCodeAt(si + k) - b.charCodeAt(sj + k);
        if (d !== 0) return d;
      }
      i = ei;
      j = ej;
      continue;
    }
    const d = fold(ca) - fold(cb);
    if (d !== 0) return d;
    i++;
    j++;
  }
  const rest = a.length - i - (b.length - j);
  if (rest !== 0) return rest;
  // Equal up to case and zero padding: fall back to code units so the order is total.
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortNatural<T>(items: T[], nameOf: (item: T) => string): T[] {
  return items.sort((x, y) => compareNatural(nameOf(x), nameOf(y)));
}
