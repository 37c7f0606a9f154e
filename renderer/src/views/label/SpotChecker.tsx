import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { TRAIN_CLASSES } from '../../../../common/classes';
import { mediaUrl, type CompareModel } from '../../../../common/contract';
import { classForKey, isCantTellKey } from '../../../../common/labels/classKeys';
import type { LabelSpot } from '../../../../common/labelsContract';
import { api } from '../../client/backend';
import { notifyError, run } from '../../store/actions';
import { ClassPalette } from './ClassPalette';
import { cssColour, loadFrame, typingInField, type FramePixels } from './maskCodec';
import { SampleControls } from './SampleControls';
import { SpotZoom } from './SpotZoom';

type Queue = 'estimate' | 'hardest';
const FRAME_CACHE = 6;
const AUTO_ADVANCE_KEY = 's2r.spots.autoAdvance';

/** Median seconds between consecutive answers, ignoring breaks: the labelling pace. */
function pace(spots: readonly LabelSpot[]): number | null {
  const times = spots
    .map((s) => (s.answeredAt ? Date.parse(s.answeredAt) : NaN))
    .filter((t) => Number.isFinite(t))
    .sort((a, b) => a - b)
    .slice(-30);
  const gaps = times.slice(1).map((t, i) => (t - times[i]!) / 1000).filter((g) => g > 0 && g < 60);
  if (gaps.length < 3) return null;
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)]!;
}

const isAnswered = (s: LabelSpot) => s.trainId !== null || s.cantTell;

/** Point spot checks: one pixel at a time, by keyboard, each answer saved as it is given. */
export function SpotChecker({ datasetId, models }: { datasetId: number; models: readonly CompareModel[] }): React.JSX.Element {
  const [queue, setQueue] = useState<Queue>('estimate');
  const [spots, setSpots] = useState<LabelSpot[]>([]);
  const [cursor, setCursor] = useState(0);
  const [frame, setFrame] = useState<FramePixels | null>(null);
  // Off by default (pick, then Enter, lets a slip be corrected); on, a spot is one key press.
  const [autoAdvance, setAutoAdvance] = useState(() => localStorage.getItem(AUTO_ADVANCE_KEY) === '1');
  const frames = useRef(new Map<number, Promise<FramePixels>>());
  const current = spots[cursor] ?? null;

  const load = useCallback(
    async (q: Queue) => {
      const list = await api.call('labels:spots', { queue: q, datasetId });
      setSpots(list);
      const firstOpen = list.findIndex((s) => !isAnswered(s));
      setCursor(firstOpen >= 0 ? firstOpen : list.length);
    },
    [datasetId],
  );
  useEffect(() => {
    void load(queue).catch(notifyError);
  }, [load, queue]);

  const frameFor = useCallback((frameId: number) => {
    const cache = frames.current;
    let p = cache.get(frameId);
    if (!p) {
      p = loadFrame(mediaUrl.frameImage(frameId));
      p.catch(() => cache.delete(frameId));
      if (cache.size >= FRAME_CACHE) cache.delete(cache.keys().next().value!);
      cache.set(frameId, p);
    }
    return p;
  }, []);

  useEffect(() => {
    if (!current) return;
    let live = true;
    frameFor(current.frameId).then((f) => live && setFrame(f), notifyError);
    // Fetch the next spot's frame while this one is judged.
    const next = spots[cursor + 1];
    if (next) void frameFor(next.frameId).catch(() => {});
    return () => {
      live = false;
    };
  }, [current?.frameId, cursor, spots, frameFor]);

  const answer = useCallback(
    (trainId: number | null, cantTell: boolean) => {
      const spot = spots[cursor];
      if (!spot) return;
      const optimistic = { ...spot, trainId, cantTell, answeredAt: new Date().toISOString() };
      setSpots((list) => list.map((s) => (s.id === spot.id ? optimistic : s)));
      if (autoAdvance) setCursor((c) => Math.min(spots.length, c + 1));
      api.call('labels:answerSpot', { spotId: spot.id, trainId, cantTell }).then(
        (saved) => setSpots((list) => list.map((s) => (s.id === saved.id ? saved : s))),
        (err) => {
          setSpots((list) => list.map((s) => (s.id === spot.id ? spot : s)));
          notifyError(err);
        },
      );
    },
    [spots, cursor, autoAdvance],
  );

  const keys = useRef({ answer, cursor, count: spots.length });
  keys.current = { answer, cursor, count: spots.length };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (typingInField(e) || e.repeat) return;
      const { answer: give, cursor: at, count } = keys.current;
      const trainId = classForKey(e);
      if (trainId !== null && at < count) {
        e.preventDefault();
        give(trainId, false);
      } else if (isCantTellKey(e) && at < count) {
        e.preventDefault();
        give(null, true);
      } else if (e.key === 'Enter') {
        e.preventDefault();
        setCursor(Math.min(count, at + 1));
      } else if (e.key === 'Backspace') {
        e.preventDefault();
        setCursor(Math.max(0, at - 1));
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const answered = spots.filter(isAnswered).length;
  const cantTell = spots.filter((s) => s.cantTell).length;
  const seconds = useMemo(() => pace(spots), [spots]);

  return (
    <div className="spot-checker">
      <section className="spot-stage">
        <div className="spot-header">
          <div className="queue-toggle" role="tablist" aria-label="Queue">
            <button role="tab" aria-selected={queue === 'estimate'} className={queue === 'estimate' ? 'active' : ''} onClick={() => setQueue('estimate')}>
              For estimates
            </button>
            <button role="tab" aria-selected={queue === 'hardest'} className={queue === 'hardest' ? 'active' : ''} onClick={() => setQueue('hardest')}>
              Hardest first
            </button>
          </div>
          <span className="spot-position" data-testid="spot-position">
            {spots.length === 0 ? 'No spots yet' : current ? `Spot ${cursor + 1} of ${spots.length}` : `All ${spots.length} spots seen`}
          </span>
          {current && (
            <span className="muted spot-where" title={current.relPath}>
              {current.relPath} · ({current.x}, {current.y}) · {current.sampler}
            </span>
          )}
        </div>
        {current ? (
          <>
            <SpotZoom frame={frame?.image && current ? frame : null} x={current.x} y={current.y} answerColour={current.trainId !== null ? cssColour(current.trainId) : null} />
            <div className="spot-answer" data-testid="spot-answer">
              {current.trainId !== null ? (
                <>
                  <span className="swatch" style={{ background: cssColour(current.trainId) }} /> {TRAIN_CLASSES[current.trainId]!.name}
                </>
              ) : current.cantTell ? (
                "can't tell"
              ) : (
                <span className="muted">What class is the pixel in the ring?</span>
              )}
            </div>
          </>
        ) : (
          <div className="spot-empty">
            <p>{spots.length === 0 ? 'Propose a batch of spots to start.' : 'Every proposed spot has been seen. Propose more, or go back with Backspace.'}</p>
          </div>
        )}
        <p className="key-help muted">
          <kbd>1</kbd>–<kbd>9</kbd>, <kbd>0</kbd>, <kbd>⇧1</kbd>–<kbd>⇧9</kbd> class · <kbd>X</kbd> can't tell · <kbd>Enter</kbd> next · <kbd>Backspace</kbd> back
        </p>
      </section>
      <aside className="spot-side">
        <div className="spot-progress">
          <progress max={Math.max(1, spots.length)} value={answered} />
          <span data-testid="spot-answered-count">
            {answered} of {spots.length} answered
          </span>
          {cantTell > 0 && <span className="muted"> · {cantTell} can't tell</span>}
          {seconds !== null && <span className="muted"> · {seconds.toFixed(1)} s per spot</span>}
          <label className="auto-advance">
            <input
              type="checkbox"
              checked={autoAdvance}
              onChange={(e) => {
                setAutoAdvance(e.target.checked);
                localStorage.setItem(AUTO_ADVANCE_KEY, e.target.checked ? '1' : '0');
                e.target.blur();
              }}
            />
            Next spot as soon as I answer
          </label>
        </div>
        <ClassPalette selected={current?.trainId ?? null} cantTell={current?.cantTell} onPick={(id) => answer(id, false)} onCantTell={() => answer(null, true)} />
        <h4>Propose spots</h4>
        <SampleControls
          datasetId={datasetId}
          models={models}
          onSampled={(q) => {
            if (q === queue) void run(() => load(q));
            else setQueue(q);
          }}
        />
      </aside>
    </div>
  );
}
