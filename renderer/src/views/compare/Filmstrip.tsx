import { useEffect, useRef, useState } from 'react';
import { mediaUrl } from '../../../../common/contract';
import { goToFrame, loadPaneFrames } from '../../store/compareActions';
import { useAppState } from '../../store/store';

/** Width of one thumbnail plus its gap; the strip only mounts the thumbnails in view. */
const ITEM_WIDTH = 136;
const OVERSCAN = 4;

/** The active pane's frames in the current sort and filter, as thumbnails. */
export function Filmstrip(): React.JSX.Element {
  const paneId = useAppState((s) => s.compare.activePane);
  const pane = useAppState((s) => s.compare.panes[paneId]);
  const ref = useRef<HTMLDivElement>(null);
  const [windowed, setWindowed] = useState({ left: 0, width: 1600 });

  useEffect(() => {
    // In the next animation frame, not now: reading the strip's scroll position forces a
    // layout, which here would run inside the frame switch, before the panes' GPU work has
    // finished; there it is the layout the frame needs anyway.
    const request = requestAnimationFrame(() => {
      const el = ref.current;
      if (!el) return;
      const x = pane.index * ITEM_WIDTH;
      if (x < el.scrollLeft || x + ITEM_WIDTH > el.scrollLeft + el.clientWidth) {
        el.scrollLeft = Math.max(0, x - el.clientWidth / 2 + ITEM_WIDTH / 2);
      }
      const next = { left: el.scrollLeft, width: el.clientWidth };
      setWindowed((w) => (w.left === next.left && w.width === next.width ? w : next));
    });
    return () => cancelAnimationFrame(request);
  }, [pane.index, paneId, pane.frames.length]);

  const first = Math.max(0, Math.floor(windowed.left / ITEM_WIDTH) - OVERSCAN);
  const last = Math.min(pane.frames.length, Math.ceil((windowed.left + windowed.width) / ITEM_WIDTH) + OVERSCAN);
  const items = [];
  for (let i = first; i < last; i++) {
    const frame = pane.frames[i]!;
    items.push(
      <button
        key={frame.id}
        className={`film-item${i === pane.index ? ' current' : ''}`}
        style={{ left: i * ITEM_WIDTH }}
        title={frame.relPath}
        aria-current={i === pane.index}
        data-testid="film-item"
        onClick={() => goToFrame(paneId, i)}
      >
        <img src={mediaUrl.frameThumb(frame.id)} alt="" loading="lazy" draggable={false} />
        <span className="film-meta">
          <span>{i + 1}</span>
          {frame.disagreement !== null && <span>Δ {(frame.disagreement * 100).toFixed(1)}%</span>}
          {frame.hasLabel && <span className="label-dot" title="labelled" />}
        </span>
        <span className="film-bar" style={{ width: `${Math.min(1, frame.disagreement ?? 0) * 100}%` }} />
      </button>,
    );
  }
  return (
    <div
      className="filmstrip"
      ref={ref}
      data-testid="filmstrip"
      onScroll={(e) => {
        const el = e.currentTarget;
        setWindowed({ left: el.scrollLeft, width: el.clientWidth });
        if (el.scrollLeft + el.clientWidth > el.scrollWidth - 4 * ITEM_WIDTH) void loadPaneFrames(paneId, true);
      }}
    >
      <div className="film-track" style={{ width: pane.frames.length * ITEM_WIDTH }}>
        {items}
      </div>
      {pane.frames.length === 0 && <span className="muted film-empty">No frames</span>}
    </div>
  );
}
