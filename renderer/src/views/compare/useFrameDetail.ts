import { useEffect, useState } from 'react';
import type { CompareFrameDetail } from '../../../../common/contract';
import { notifyError } from '../../store/actions';
import type { FrameAssets } from './viewer/frameAssets';

/** The frame's models and prediction summaries, from the shared cache. */
export function useFrameDetail(assets: FrameAssets, frameId: number | null): CompareFrameDetail | null {
  const [detail, setDetail] = useState<CompareFrameDetail | null>(() =>
    frameId === null ? null : (assets.peekDetail(frameId) ?? null),
  );
  useEffect(() => {
    if (frameId === null) return;
    // A cached detail is already returned below; setting it as state too would only
    // render every user of the hook a second time on each frame switch.
    if (assets.peekDetail(frameId)) return;
    let live = true;
    assets.detail(frameId).then((d) => live && setDetail(d), notifyError);
    return () => {
      live = false;
    };
  }, [assets, frameId]);
  if (frameId === null) return null;
  return detail?.frame.id === frameId ? detail : (assets.peekDetail(frameId) ?? null);
}
